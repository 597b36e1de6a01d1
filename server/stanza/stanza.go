// Package stanza holds XMPP stanzas (RFC 6120 §8): a Stanza is an
// *etree.Element together with its header (kind, type, id, to, from,
// xml:lang) parsed and validated once, plus builders for the stanzas a
// server generates and the stanza errors of RFC 6120 §8.3.
//
// Elements follow the server's representation: a stanza carries no xmlns
// attribute (jabber:client is implied) and neither does its <error/> child;
// elements in other namespaces carry their own xmlns attribute.
package stanza

import (
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server/jid"
)

// Namespaces of stanzas and stanza errors.
const (
	// NSClient is the content namespace of client streams (RFC 6120 §4.8.2).
	NSClient = "jabber:client"
	// NSStanzas qualifies stanza error conditions (RFC 6120 §8.3.2).
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// Kind is the kind of a stanza (RFC 6120 §8). The zero Kind is no stanza.
type Kind uint8

// The three kinds of stanza (RFC 6120 §8).
const (
	KindMessage  Kind = iota + 1 // <message/>, RFC 6120 §8.2.1
	KindPresence                 // <presence/>, RFC 6120 §8.2.2
	KindIQ                       // <iq/>, RFC 6120 §8.2.3
)

// String returns the element name of the kind.
func (k Kind) String() string {
	switch k {
	case KindMessage:
		return "message"
	case KindPresence:
		return "presence"
	case KindIQ:
		return "iq"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ErrNotStanza is returned by Parse for an element that is not a message,
// presence or iq in the jabber:client namespace. It is not a stanza error:
// a server answers it with the unsupported-stanza-type stream error
// (RFC 6120 §4.9.3.22).
var ErrNotStanza = errors.New("stanza: not a stanza")

// Stanza is a parsed stanza. El is the whole element; once a stanza has been
// handed to the router it is read-only, and Clone or Restamp make the copy
// to change. The header fields mirror El's attributes.
type Stanza struct {
	El       *etree.Element // the whole stanza; read-only once routed
	Kind     Kind
	Type     string  // 'type' attribute, "" when absent
	ID       string  // 'id' attribute, "" when absent
	Lang     string  // 'xml:lang' attribute, "" when absent
	To, From jid.JID // zero when absent
}

// KindOf reports the kind of el, if it is a stanza: <message/>, <presence/>
// or <iq/> without a namespace of its own or in jabber:client.
func KindOf(el *etree.Element) (Kind, bool) {
	if el == nil {
		return 0, false
	}
	if ns := el.NamespaceURI(); ns != NSClient && (ns != "" || el.Space != "") {
		return 0, false
	}
	switch el.Tag {
	case "message":
		return KindMessage, true
	case "presence":
		return KindPresence, true
	case "iq":
		return KindIQ, true
	}
	return 0, false
}

// Parse reads and validates the header of a stanza. El of the result is el
// itself, not a copy.
//
// An element that is not a stanza gives (nil, an error wrapping
// ErrNotStanza). A stanza with a bad header gives a *Error: jid-malformed
// for a 'to' or 'from' that is not a valid JID (RFC 7622 §4), bad-request for
// a missing or unknown 'type' of an IQ (RFC 6120 §8.2.3), an IQ without an
// 'id', an IQ request without exactly one payload, an IQ result with more
// than one, or an unknown presence type (RFC 6121 §4.7.1). In that case
// Parse still returns the stanza with the header fields it could read
// (invalid addresses left zero) so that the caller can answer with
// ErrorReply. Unknown message types are accepted: RFC 6121 §5.2.2 has them
// treated as "normal".
func Parse(el *etree.Element) (*Stanza, error) {
	k, ok := KindOf(el)
	if !ok {
		if el == nil {
			return nil, ErrNotStanza
		}
		return nil, fmt.Errorf("%w: <%s/>", ErrNotStanza, el.FullTag())
	}
	s := &Stanza{
		El:   el,
		Kind: k,
		Type: attr(el, "", "type"),
		ID:   attr(el, "", "id"),
		Lang: attr(el, "xml", "lang"),
	}
	var first *Error
	for _, a := range []struct {
		name string
		dst  *jid.JID
	}{{"to", &s.To}, {"from", &s.From}} {
		v := attr(el, "", a.name)
		if v == "" {
			continue
		}
		j, err := jid.Parse(v)
		if err != nil {
			if first == nil {
				first = NewError(JIDMalformed, "invalid '"+a.name+"' address")
			}
			continue
		}
		*a.dst = j
	}
	if first == nil {
		first = s.checkType()
	}
	if first != nil {
		return s, first
	}
	return s, nil
}

// checkType validates the 'type' attribute and the IQ rules of RFC 6120
// §8.2.3; it returns nil when the stanza is well formed.
func (s *Stanza) checkType() *Error {
	switch s.Kind {
	case KindPresence:
		// RFC 6121 §4.7.1.
		switch s.Type {
		case "", "error", "probe", "subscribe", "subscribed",
			"unavailable", "unsubscribe", "unsubscribed":
			return nil
		}
		return NewError(BadRequest, "unknown presence type")
	case KindIQ:
		if s.ID == "" {
			return NewError(BadRequest, "iq without id")
		}
		n := countChildren(s.El)
		switch s.Type {
		case "get", "set":
			if n != 1 {
				return NewError(BadRequest, "iq request needs exactly one payload")
			}
		case "result":
			if n > 1 {
				return NewError(BadRequest, "iq result with more than one payload")
			}
		case "error":
		default:
			return NewError(BadRequest, "unknown iq type")
		}
	}
	return nil
}

// IsRequest reports whether s is an IQ get or set, which must be answered
// with a result or an error (RFC 6120 §8.2.3).
func (s *Stanza) IsRequest() bool {
	return s.Kind == KindIQ && (s.Type == "get" || s.Type == "set")
}

// Clone returns a deep copy of s, safe to modify.
func (s *Stanza) Clone() *Stanza {
	c := *s
	c.El = s.El.Copy()
	return &c
}

// Restamp returns a copy of s with its 'from' and 'to' attributes set to
// from and to; a zero JID removes the attribute. s is not modified.
func (s *Stanza) Restamp(from, to jid.JID) *Stanza {
	c := s.Clone()
	setJID(c.El, "from", from)
	setJID(c.El, "to", to)
	c.From, c.To = from, to
	return c
}

// Payload returns the first child element, such as the payload of an IQ,
// or nil if there is none.
func (s *Stanza) Payload() *etree.Element {
	for _, t := range s.El.Child {
		if e, ok := t.(*etree.Element); ok {
			return e
		}
	}
	return nil
}

// countChildren counts the child elements of el.
func countChildren(el *etree.Element) int {
	n := 0
	for _, t := range el.Child {
		if _, ok := t.(*etree.Element); ok {
			n++
		}
	}
	return n
}

// attr returns the value of the attribute space:key, matching the prefix
// exactly (etree's SelectAttr lets "to" match "x:to").
func attr(el *etree.Element, space, key string) string {
	for _, a := range el.Attr {
		if a.Space == space && a.Key == key {
			return a.Value
		}
	}
	return ""
}

// setJID sets the attribute key to j, or removes it when j is zero.
func setJID(el *etree.Element, key string, j jid.JID) {
	if j.IsZero() {
		el.RemoveAttr(key)
		return
	}
	el.CreateAttr(key, j.String())
}
