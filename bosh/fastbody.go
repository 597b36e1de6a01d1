package bosh

import (
	"encoding/xml"

	"github.com/parley-xmpp/parley/server/stream"
)

// parseEmptyBody is the fast path of parseBody for the commonest requests:
// an empty <body/> (a long-poll, XEP-0124 §8), or a body of plainly
// written stanzas (fastxml.go). It returns ok=false for anything else
// (entity or character references in the start tag, comments, unknown
// prefixes, duplicates, non-ASCII names, ...), which then goes through the
// full stream decoder. Whatever it accepts yields the same header and
// elements the decoder would (FuzzEmptyBody, FuzzFastChildren).
func parseEmptyBody(raw []byte) (*reqBody, bool) {
	p := emptyParser{b: raw}
	if !p.lit("<body") {
		return nil, false
	}
	attrs := make([]xml.Attr, 0, 8)
	closed := false
	for {
		sp := p.space()
		if p.lit("/>") {
			closed = true
			break
		}
		if p.lit(">") {
			break
		}
		if !sp {
			return nil, false
		}
		name, ok := p.name()
		if !ok || !p.lit("=") {
			return nil, false
		}
		val, ok := p.value()
		if !ok {
			return nil, false
		}
		attrs = append(attrs, xml.Attr{Name: name, Value: val})
	}
	b, ok := resolveEmpty(attrs)
	if !ok {
		return nil, false
	}
	if closed {
		p.space()
		return b, p.i == len(p.b)
	}
	if b.children, ok = p.fastChildren(); !ok {
		return nil, false
	}
	return b, true
}

// resolveEmpty applies the namespace declarations of attrs as the stream
// decoder does; it gives up on anything the decoder would reject or treat
// specially.
func resolveEmpty(attrs []xml.Attr) (*reqBody, bool) {
	def := ""
	var prefixes map[string]string
	for _, a := range attrs {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			def = a.Value
		case a.Name.Space == "xmlns":
			if a.Value == "" || a.Name.Local == "xml" || a.Name.Local == "xmlns" {
				return nil, false
			}
			if prefixes == nil {
				prefixes = make(map[string]string, 2)
			}
			prefixes[a.Name.Local] = a.Value
		}
	}
	if def != nsBOSH {
		return nil, false
	}
	for i := range attrs {
		n := &attrs[i].Name
		switch n.Space {
		case "", "xmlns":
		case "xml":
			n.Space = stream.NSXML
		default:
			uri, ok := prefixes[n.Space]
			if !ok {
				return nil, false
			}
			n.Space = uri
		}
	}
	for i := range attrs {
		for j := i + 1; j < len(attrs); j++ {
			if attrs[i].Name == attrs[j].Name {
				return nil, false
			}
		}
	}
	h := stream.Header{Name: xml.Name{Space: nsBOSH, Local: "body"}, Attrs: attrs}
	return &reqBody{h: h}, true
}

// emptyParser scans a start tag byte by byte.
type emptyParser struct {
	b []byte
	i int
}

func (p *emptyParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}

func (p *emptyParser) space() bool {
	start := p.i
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return p.i > start
		}
	}
	return p.i > start
}

// name reads an ASCII attribute name with at most one colon.
func (p *emptyParser) name() (xml.Name, bool) {
	start, colon := p.i, -1
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '-', c == '.':
			if p.i == start || p.i == colon+1 {
				return xml.Name{}, false
			}
		case c == ':':
			if colon >= 0 || p.i == start {
				return xml.Name{}, false
			}
			colon = p.i
		default:
			if p.i == start || p.i == colon+1 {
				return xml.Name{}, false
			}
			if colon < 0 {
				return xml.Name{Local: string(p.b[start:p.i])}, true
			}
			return xml.Name{Space: string(p.b[start:colon]), Local: string(p.b[colon+1 : p.i])}, true
		}
		p.i++
	}
	return xml.Name{}, false
}

// value reads a quoted value of printable ASCII without references.
func (p *emptyParser) value() (string, bool) {
	if p.i >= len(p.b) || (p.b[p.i] != '\'' && p.b[p.i] != '"') {
		return "", false
	}
	q := p.b[p.i]
	p.i++
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == q:
			v := string(p.b[start:p.i])
			p.i++
			return v, true
		case c < 0x20 || c >= 0x7f || c == '&' || c == '<' || c == '>':
			return "", false
		}
		p.i++
	}
	return "", false
}
