package stream

import (
	"bytes"
	"io"
	"sync"

	"github.com/beevik/etree"
)

// CloseTag closes a stream (RFC 6120 §4.4).
const CloseTag = "</stream:stream>"

// ResponseHeader holds the attributes of the stream header a server sends
// (RFC 6120 §4.7). Empty fields are left out.
type ResponseHeader struct {
	ID, From, To, Lang, Version string
}

// OpenTag returns the XML declaration and the response stream header
// (RFC 6120 §4.7, §11.5):
//
//	<?xml version='1.0'?><stream:stream xmlns='jabber:client'
//	  xmlns:stream='http://etherx.jabber.org/streams' id=.. from=.. to=..
//	  version=.. xml:lang=..>
func OpenTag(h ResponseHeader) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?><stream:stream xmlns='" + NSClient +
		"' xmlns:stream='" + NSStream + "'")
	for _, a := range [...]struct{ k, v string }{
		{"id", h.ID}, {"from", h.From}, {"to", h.To},
		{"version", h.Version}, {"xml:lang", h.Lang},
	} {
		if a.v == "" {
			continue
		}
		b.WriteString(" " + a.k + "='")
		escape(&b, a.v, true)
		b.WriteByte('\'')
	}
	b.WriteByte('>')
	return b.Bytes()
}

// Features returns <stream:features/> with the given children
// (RFC 6120 §4.3.2). Children that have a parent are moved.
func Features(children ...*etree.Element) *etree.Element {
	el := etree.NewElement("stream:features")
	el.CreateAttr("xmlns:stream", NSStream)
	for _, c := range children {
		if c != nil {
			el.AddChild(c)
		}
	}
	return el
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Write serialises el to w in one Write call: compact (no XML declaration,
// no indentation), attribute values in double quotes. Character data is
// escaped so that it reads back unchanged (& < > everywhere, " and
// white space other than the space character in attribute values, carriage
// returns in text); control characters XML cannot carry become U+FFFD.
// Comments, processing instructions and directives are
// left out: streams carry none (RFC 6120 §11.1).
func Write(w io.Writer, el *etree.Element) error {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	writeElement(b, el)
	_, err := w.Write(b.Bytes())
	if b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
	return err
}

// Marshal returns el serialised as Write does.
func Marshal(el *etree.Element) []byte {
	var b bytes.Buffer
	writeElement(&b, el)
	return b.Bytes()
}

// String returns el serialised as Write does.
func String(el *etree.Element) string { return string(Marshal(el)) }

// writeElement serialises el and its children.
func writeElement(b *bytes.Buffer, el *etree.Element) {
	name := el.Tag
	if el.Space != "" {
		name = el.Space + ":" + el.Tag
	}
	b.WriteByte('<')
	b.WriteString(name)
	for _, a := range el.Attr {
		b.WriteByte(' ')
		if a.Space != "" {
			b.WriteString(a.Space)
			b.WriteByte(':')
		}
		b.WriteString(a.Key)
		b.WriteString(`="`)
		escape(b, a.Value, true)
		b.WriteByte('"')
	}
	if !hasContent(el) {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			writeElement(b, t)
		case *etree.CharData:
			escape(b, t.Data, false)
		}
	}
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// hasContent reports whether el has children that Write serialises.
func hasContent(el *etree.Element) bool {
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			return true
		case *etree.CharData:
			if t.Data != "" {
				return true
			}
		}
	}
	return false
}

// escape writes s as XML character data, or as an attribute value when
// attr is set.
func escape(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\'':
			if !attr {
				continue
			}
			esc = "&apos;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		default:
			if s[i] >= 0x20 {
				continue
			}
			esc = "\uFFFD" // not allowed in XML 1.0 (§2.2)
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
