package vcard

import (
	"context"
	"errors"
	"strings"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// handlePrivate answers jabber:iq:private (XEP-0049 §2): only the owner
// may get or set (forbidden otherwise); a get names exactly one fragment
// by its root element; a set stores each child; reserved namespaces are
// not-acceptable.
func (v *Service) handlePrivate(ctx context.Context, iq *server.IQ) (*etree.Element, error) {
	if !own(iq) {
		return nil, stanza.NewError(stanza.Forbidden, "")
	}
	children := iq.Payload().ChildElements()
	if len(children) == 0 || (iq.Type == "get" && len(children) > 1) {
		return nil, stanza.NewError(stanza.BadRequest, "exactly one child element expected")
	}
	for _, c := range children {
		if reserved(c.NamespaceURI()) {
			return nil, stanza.NewError(stanza.NotAcceptable, "reserved namespace")
		}
	}
	if iq.Type == "get" {
		return v.getPrivate(ctx, iq, children[0])
	}
	return nil, v.setPrivate(ctx, iq, children)
}

// reserved reports whether ns may not be used for private data (XEP-0049
// §2.3): jabber:*, http://jabber.org/* and vcard-temp, or no namespace.
func reserved(ns string) bool {
	return ns == "" || ns == NS || ns == "jabber:client" ||
		strings.HasPrefix(ns, "jabber:") || strings.HasPrefix(ns, "http://jabber.org/")
}

func (v *Service) getPrivate(ctx context.Context, iq *server.IQ, want *etree.Element) (*etree.Element, error) {
	user := iq.To
	q := etree.NewElement("query")
	q.CreateAttr("xmlns", NSPrivate)
	x, err := v.core.Store().PrivateXML(ctx, user.Domainpart(), user.Localpart(), want.NamespaceURI(), want.Tag)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		q.AddChild(want.Copy()) // nothing stored: the empty element back
		return q, nil
	case err != nil:
		return nil, err
	}
	el, err := parse(x)
	if err != nil {
		return nil, err
	}
	q.AddChild(el)
	return q, nil
}

func (v *Service) setPrivate(ctx context.Context, iq *server.IQ, children []*etree.Element) error {
	user := iq.To
	for _, c := range children {
		el := c.Copy()
		el.Space = ""
		if el.SelectAttr("xmlns") == nil {
			el.CreateAttr("xmlns", c.NamespaceURI())
		}
		x := stream.String(el)
		if len(x) > v.opts.MaxSize {
			return stanza.NewError(stanza.NotAcceptable, "private XML too large")
		}
		if err := v.core.Store().SetPrivateXML(ctx, user.Domainpart(), user.Localpart(), c.NamespaceURI(), c.Tag, x); err != nil {
			return err
		}
	}
	return nil
}
