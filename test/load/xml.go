package main

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespaces the client speaks.
const (
	nsClient  = "jabber:client"
	nsStream  = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession = "urn:ietf:params:xml:ns:xmpp-session"
	nsBOSH    = "http://jabber.org/protocol/httpbind"
	nsXBOSH   = "urn:xmpp:xbosh"
	nsDelay   = "urn:xmpp:delay"
)

// maxDepth bounds the nesting of an element read from a server.
const maxDepth = 64

// elem is a parsed XML element with resolved namespaces: a lighter tree
// than a DOM, enough for a load client.
type elem struct {
	Name xml.Name
	Attr []xml.Attr
	Kids []*elem
	Text string
}

// attr returns the value of the attribute named local in no namespace.
func (e *elem) attr(local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == e.Name.Space) {
			return a.Value
		}
	}
	return ""
}

// child returns the first child named local in namespace space ("" = any).
func (e *elem) child(space, local string) *elem {
	for _, k := range e.Kids {
		if k.Name.Local == local && (space == "" || k.Name.Space == space) {
			return k
		}
	}
	return nil
}

// is reports whether e is named local in namespace space.
func (e *elem) is(space, local string) bool {
	return e.Name.Local == local && e.Name.Space == space
}

// String describes e briefly for error messages.
func (e *elem) String() string {
	s := "<" + e.Name.Local
	if e.Name.Space != "" {
		s += " xmlns='" + e.Name.Space + "'"
	}
	return s + ">"
}

// readElem reads the rest of the element that start opened.
func readElem(d *xml.Decoder, start xml.StartElement, depth int) (*elem, error) {
	if depth > maxDepth {
		return nil, errors.New("xml: element nested too deeply")
	}
	e := &elem{Name: start.Name, Attr: start.Attr}
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			k, err := readElem(d, t, depth+1)
			if err != nil {
				return nil, err
			}
			e.Kids = append(e.Kids, k)
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			e.Text = text.String()
			return e, nil
		}
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// nextElem returns the next top-level child of the open wrapper element
// (stream or body); io.EOF when the wrapper closes.
func nextElem(d *xml.Decoder) (*elem, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return readElem(d, t, 1)
		case xml.EndElement:
			return nil, io.EOF
		}
	}
}

// openWrapper reads up to and including the start tag of the wrapper
// element (stream:stream or body).
func openWrapper(d *xml.Decoder, space, local string) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, unexpectedEOF(err)
		}
		if t, ok := tok.(xml.StartElement); ok {
			if t.Name.Space != space || t.Name.Local != local {
				return t, fmt.Errorf("expected <%s xmlns='%s'>, got <%s xmlns='%s'>", local, space, t.Name.Local, t.Name.Space)
			}
			return t, nil
		}
	}
}

// startAttr returns the attribute local of a start tag (any namespace when
// space is "").
func startAttr(s xml.StartElement, space, local string) string {
	for _, a := range s.Attr {
		if a.Name.Local == local && (space == "" || a.Name.Space == space) {
			return a.Value
		}
	}
	return ""
}

// esc escapes s for XML text and attribute values.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// condition returns the local name of the first child of e in namespace
// ns (a defined error condition), or "unknown" (also for no e).
func condition(e *elem, ns string) string {
	if e == nil {
		return "unknown"
	}
	for _, k := range e.Kids {
		if ns == "" || k.Name.Space == ns {
			if k.Name.Local != "text" {
				return k.Name.Local
			}
		}
	}
	return "unknown"
}
