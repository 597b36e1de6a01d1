package stanza

import (
	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server/jid"
)

// newStanza builds the element <kind from=.. to=.. type=.. id=..> with the
// attributes that are not empty.
func newStanza(k Kind, typ, id string, from, to jid.JID) *Stanza {
	el := etree.NewElement(k.String())
	setJID(el, "from", from)
	if id != "" {
		el.CreateAttr("id", id)
	}
	setJID(el, "to", to)
	if typ != "" {
		el.CreateAttr("type", typ)
	}
	return &Stanza{El: el, Kind: k, Type: typ, ID: id, From: from, To: to}
}

// NewIQ builds an IQ stanza (RFC 6120 §8.2.3). Zero JIDs are left out. A
// non-nil payload becomes the IQ's child: it is adopted, not copied, so it
// must not belong to another element that is still in use.
func NewIQ(typ, id string, from, to jid.JID, payload *etree.Element) *Stanza {
	s := newStanza(KindIQ, typ, id, from, to)
	if payload != nil {
		s.El.AddChild(payload)
	}
	return s
}

// NewMessage builds an empty message stanza (RFC 6120 §8.2.1); add children
// to its El. An empty typ leaves the 'type' attribute out.
func NewMessage(typ string, from, to jid.JID) *Stanza {
	return newStanza(KindMessage, typ, "", from, to)
}

// NewPresence builds an empty presence stanza (RFC 6120 §8.2.2); an empty
// typ (available) leaves the 'type' attribute out.
func NewPresence(typ string, from, to jid.JID) *Stanza {
	return newStanza(KindPresence, typ, "", from, to)
}

// ResultIQ builds the result of the IQ request req (RFC 6120 §8.2.3): the
// same id, 'to' set to req.From and 'from' to req.To (each left out when
// zero), with an optional payload adopted as in NewIQ.
func ResultIQ(req *Stanza, payload *etree.Element) *Stanza {
	return NewIQ("result", req.ID, req.To, req.From, payload)
}
