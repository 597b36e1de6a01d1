// Package vcard implements vcard-temp (XEP-0054), a user's vCard readable
// by anyone and writable by its owner, and private XML storage (XEP-0049,
// jabber:iq:private), readable and writable by its owner only.
package vcard

import (
	"context"
	"errors"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// Namespaces.
const (
	NS        = "vcard-temp"        // XEP-0054
	NSPrivate = "jabber:iq:private" // XEP-0049
)

// DefaultMaxSize is the default limit, in bytes of serialised XML, of one
// vCard and of one private XML fragment.
const DefaultMaxSize = 128 << 10

// Options configure the service; zero fields take the defaults.
type Options struct {
	MaxSize int // bytes; 0 → DefaultMaxSize
}

// Service answers vcard-temp and jabber:iq:private requests.
type Service struct {
	core *server.Core
	opts Options
}

// New returns the service for core.
func New(core *server.Core, opts Options) *Service {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	return &Service{core: core, opts: opts}
}

// Register registers the IQ handlers on accounts (each advertised as a
// disco feature of accounts) and advertises vcard-temp on the server too
// (XEP-0054 §4).
func (v *Service) Register() {
	r := v.core.Router()
	r.HandleIQ(server.IQAccount, NS, "vCard", v.handleVCard)
	r.HandleIQ(server.IQAccount, NSPrivate, "query", v.handlePrivate)
	r.AddFeature(server.IQServer, NS)
}

// own reports whether the IQ comes from the account it addresses.
func own(iq *server.IQ) bool {
	return iq.Session != nil && iq.From.Bare() == iq.To
}

// handleVCard answers a vCard get (anyone's, XEP-0054 §3.2; an empty
// vCard when none is stored) or set (one's own, §3.1).
func (v *Service) handleVCard(ctx context.Context, iq *server.IQ) (*etree.Element, error) {
	st := v.core.Store()
	user := iq.To
	if iq.Type == "get" {
		x, err := st.VCard(ctx, user.Domainpart(), user.Localpart())
		if errors.Is(err, storage.ErrNotFound) {
			return emptyVCard(), nil
		}
		if err != nil {
			return nil, err
		}
		return parse(x)
	}
	if !own(iq) {
		return nil, stanza.NewError(stanza.Forbidden, "")
	}
	x := stream.String(iq.Payload())
	if len(x) > v.opts.MaxSize {
		return nil, stanza.NewError(stanza.NotAcceptable, "vCard too large")
	}
	if len(iq.Payload().ChildElements()) == 0 {
		x = "" // an empty vCard deletes it
	}
	return nil, st.SetVCard(ctx, user.Domainpart(), user.Localpart(), x)
}

func emptyVCard() *etree.Element {
	el := etree.NewElement("vCard")
	el.CreateAttr("xmlns", NS)
	return el
}

// parse reads stored XML back into an element.
func parse(x string) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("vcard: stored XML has no element")
	}
	root.Parent().RemoveChild(root)
	return root, nil
}
