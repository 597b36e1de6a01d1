package bosh

import (
	"unicode/utf8"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/stream"
)

// The fast path for bodies with payloads. Most requests carry a stanza or
// two written the plain way: unprefixed names, each payload namespace
// declared with xmlns, the five predefined entities. fastChildren parses
// exactly that into the elements the stream decoder builds (the same
// namespace normalisation: jabber:client and an inherited httpbind
// namespace leave no xmlns, any other namespace is declared where it
// changes), and gives up (ok=false) on everything else: prefixes other
// than xml:, comments, processing instructions, CDATA, DOCTYPE, character
// references, carriage returns, control characters, deep nesting. What it
// gives up on goes through the full decoder, which also reports errors.
// FuzzFastChildren checks it against the decoder.

// Limits of the fast path, far below the decoder's own.
const (
	fastMaxDepth = 16
	fastMaxAttrs = 16
)

// fastChildren parses the content of a body whose start tag ended at p.i
// with '>' and returns its first-level elements.
func (p *emptyParser) fastChildren() ([]*etree.Element, bool) {
	var kids []*etree.Element
	for {
		p.space()
		if p.lit("</body") {
			p.space()
			if !p.lit(">") {
				return nil, false
			}
			p.space()
			return kids, p.i == len(p.b)
		}
		if p.i+1 >= len(p.b) || p.b[p.i] != '<' || !isNameStart(p.b[p.i+1]) {
			return nil, false
		}
		p.i++
		el, ok := p.element(fastFrame{top: true}, 0)
		if !ok {
			return nil, false
		}
		kids = append(kids, el)
	}
}

// fastFrame is the namespace context of an element being read.
type fastFrame struct {
	ns    string // the parent's resolved namespace
	alias bool   // httpbind reads as jabber:client (a first-level element without xmlns)
	top   bool   // the element is first-level
}

// element reads one element after its '<'.
func (p *emptyParser) element(f fastFrame, depth int) (*etree.Element, bool) {
	if depth >= fastMaxDepth {
		return nil, false
	}
	tag, ok := p.plainName()
	if !ok {
		return nil, false
	}
	attrs, xmlns, hasNS, empty, ok := p.attributes()
	if !ok {
		return nil, false
	}
	ns := f.ns
	if hasNS {
		if xmlns == "" {
			return nil, false
		}
		ns = xmlns
	}
	if f.top {
		if !hasNS {
			ns = nsBOSH // inherited from the body
		}
		f.alias = ns == nsBOSH
	}
	if f.alias && ns == nsBOSH {
		ns = stream.NSClient
	}
	el := etree.NewElement(tag)
	if (f.top && ns != stream.NSClient) || (!f.top && ns != f.ns) {
		el.CreateAttr("xmlns", ns)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		el.CreateAttr(attrs[i], attrs[i+1])
	}
	if empty {
		return el, true
	}
	return el, p.content(el, tag, fastFrame{ns: ns, alias: f.alias}, depth)
}

// content reads character data and children up to the end tag of tag.
func (p *emptyParser) content(el *etree.Element, tag string, f fastFrame, depth int) bool {
	var text []byte
	flush := func() {
		if len(text) > 0 {
			el.CreateText(string(text))
			text = text[:0]
		}
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '<' && p.i+1 < len(p.b) && p.b[p.i+1] == '/':
			p.i += 2
			if !p.lit(tag) {
				return false
			}
			p.space()
			if !p.lit(">") {
				return false
			}
			flush()
			return true
		case c == '<':
			p.i++
			if p.i >= len(p.b) || !isNameStart(p.b[p.i]) {
				return false
			}
			flush()
			child, ok := p.element(f, depth+1)
			if !ok {
				return false
			}
			el.AddChild(child)
		default:
			j := p.i
			for j < len(p.b) && plainText[p.b[j]] {
				j++
			}
			if j > p.i {
				text = append(text, p.b[p.i:j]...)
				p.i = j
				continue
			}
			var ok bool
			if text, ok = p.char(text, false); !ok {
				return false
			}
		}
	}
	return false
}

// plainText marks the ASCII bytes that stand for themselves in text.
var plainText = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '<' && c != '&' && c != '>'
	}
	t['\n'], t['\t'] = true, true
	return t
}()

// char appends one character (or predefined entity) of text or of an
// attribute value to buf.
func (p *emptyParser) char(buf []byte, inAttr bool) ([]byte, bool) {
	c := p.b[p.i]
	switch {
	case c == '&':
		for _, e := range [...]struct{ ref, ch string }{
			{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&apos;", "'"},
		} {
			if p.lit(e.ref) {
				return append(buf, e.ch...), true
			}
		}
		return buf, false
	case c == '<' || c == '\r':
		return buf, false
	case c == '>':
		if n := len(buf); n >= 2 && buf[n-1] == ']' && buf[n-2] == ']' {
			return buf, false // "]]>" may not appear in text
		}
		p.i++
		return append(buf, c), true
	case c < utf8.RuneSelf:
		if c < ' ' && (inAttr || (c != '\n' && c != '\t')) {
			return buf, false
		}
		p.i++
		return append(buf, c), true
	}
	r, n := utf8.DecodeRune(p.b[p.i:])
	if r == utf8.RuneError || (r >= 0xFFFE && r <= 0xFFFF) {
		return buf, false
	}
	buf = append(buf, p.b[p.i:p.i+n]...)
	p.i += n
	return buf, true
}

// attributes reads the attributes of a start tag up to '>' or "/>": plain
// names and xml:* as key/value pairs, the xmlns declaration apart.
func (p *emptyParser) attributes() (kv []string, xmlns string, hasNS, empty, ok bool) {
	kv = make([]string, 0, 8)
	for {
		sp := p.space()
		if p.lit("/>") {
			return kv, xmlns, hasNS, true, true
		}
		if p.lit(">") {
			return kv, xmlns, hasNS, false, true
		}
		if !sp || len(kv) >= 2*fastMaxAttrs {
			return nil, "", false, false, false
		}
		name, ok := p.name()
		if !ok || !p.lit("=") {
			return nil, "", false, false, false
		}
		val, ok := p.attrValue()
		if !ok {
			return nil, "", false, false, false
		}
		key := name.Local
		switch {
		case name.Space == "" && key == "xmlns":
			if hasNS {
				return nil, "", false, false, false
			}
			xmlns, hasNS = val, true
			continue
		case name.Space == "xml":
			key = "xml:" + key
		case name.Space != "":
			return nil, "", false, false, false
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i] == key {
				return nil, "", false, false, false
			}
		}
		kv = append(kv, key, val)
	}
}

// attrValue reads a quoted attribute value with predefined entities.
func (p *emptyParser) attrValue() (string, bool) {
	if p.i >= len(p.b) || (p.b[p.i] != '\'' && p.b[p.i] != '"') {
		return "", false
	}
	q := p.b[p.i]
	p.i++
	if v, ok := p.plainRun(q); ok {
		return v, true
	}
	var buf []byte
	for p.i < len(p.b) {
		if p.b[p.i] == q {
			p.i++
			return string(buf), true
		}
		if p.b[p.i] == '>' {
			buf = append(buf, '>')
			p.i++
			continue
		}
		var ok bool
		if buf, ok = p.char(buf, true); !ok {
			return "", false
		}
	}
	return "", false
}

// plainRun reads a value up to the quote q when it is printable ASCII
// with no reference, the common case, in one allocation; otherwise it
// reads nothing.
func (p *emptyParser) plainRun(q byte) (string, bool) {
	for j := p.i; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == q:
			v := string(p.b[p.i:j])
			p.i = j + 1
			return v, true
		case c < ' ' || c >= utf8.RuneSelf || c == '&' || c == '<':
			return "", false
		}
	}
	return "", false
}

// plainName reads an unprefixed ASCII element name.
func (p *emptyParser) plainName() (string, bool) {
	start := p.i
	for p.i < len(p.b) && isNameByte(p.b[p.i]) {
		p.i++
	}
	if p.i == start || !isNameStart(p.b[start]) {
		return "", false
	}
	return string(p.b[start:p.i]), true
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}
