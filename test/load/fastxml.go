package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"sync"
	"unicode/utf8"
)

// The load tool reads every response and stanza into an elem tree. Doing
// that with encoding/xml costs more CPU than the rest of a message's trip
// through the client, so elements are parsed by the small parser below,
// which handles the shapes servers send (elements, attributes, text, the
// predefined and numeric character references, an XML declaration) and
// declines anything else: comments, CDATA, processing instructions,
// DOCTYPE, carriage returns (which XML normalises), unknown entities or
// namespace prefixes, non-ASCII names, invalid UTF-8 or characters
// outside XML's range, truncated or ill-formed input. A declined input is
// parsed again with encoding/xml, which gives the same tree or the
// error. The fuzz test FuzzFastXML checks that the two agree on every
// input the fast parser accepts.

// errNotFast is the fast parser declining an input.
var errNotFast = errors.New("not for the fast XML parser")

// xmlNS is the namespace of the xml prefix (encoding/xml's xmlURL).
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// nsDecl is one namespace declaration in scope; prefix "" is the default
// namespace.
type nsDecl struct{ prefix, uri string }

// rawAttr is an attribute as written, before namespace resolution.
type rawAttr struct{ prefix, local, value string }

// fastParser parses elements out of s. ns is the stack of declarations in
// scope: the caller's (a stream header's) first, then those of the open
// elements.
type fastParser struct {
	s     string
	i     int
	ns    []nsDecl
	attrs []rawAttr // scratch, a stack like ns
	kids  []*elem   // scratch: children of the open elements
	// The tree is allocated in a few slabs, not element by element.
	elems    []elem
	attrSlab []xml.Attr
	kidSlab  []*elem
	// Sizes of the first slabs, upper bounds counted in the document.
	elemHint, attrHint, kidHint int
}

// parsers keeps the scratch stacks of fastParser between documents.
var parsers = sync.Pool{New: func() any { return new(fastParser) }}

func getParser(s string) *fastParser {
	p := parsers.Get().(*fastParser)
	p.s, p.i = s, 0
	// At most one element per start tag, one attribute per '='.
	tags := strings.Count(s, "<") - strings.Count(s, "</")
	p.elemHint = min(max(tags, 1), slabLimit)
	p.kidHint = min(max(tags-1, 1), slabLimit)
	p.attrHint = min(max(strings.Count(s, "="), 1), slabLimit)
	return p
}

// slabSize is the size of a new slab after one of size have, with the
// first one's size hinted.
func slabSize(have int, hint *int, dflt int) int {
	n := *hint
	*hint = 0
	if n == 0 {
		n = min(max(dflt, 2*have), slabLimit)
	}
	return n
}

// putParser drops the parser's references to the document and its tree.
func putParser(p *fastParser) {
	clear(p.kids[:cap(p.kids)])
	clear(p.ns[:cap(p.ns)])
	clear(p.attrs[:cap(p.attrs)])
	*p = fastParser{ns: p.ns[:0], attrs: p.attrs[:0], kids: p.kids[:0]}
	parsers.Put(p)
}

// Slab sizes: a stanza or BOSH response mostly fits in the first.
const (
	elemSlab  = 4
	attrSlab  = 8
	kidsSlab  = 4
	slabLimit = 64
)

// newElem returns a zeroed element from the slab.
func (p *fastParser) newElem() *elem {
	if len(p.elems) == cap(p.elems) {
		p.elems = make([]elem, 0, slabSize(cap(p.elems), &p.elemHint, elemSlab))
	}
	p.elems = p.elems[:len(p.elems)+1]
	return &p.elems[len(p.elems)-1]
}

// attrList returns room for n attributes from the slab.
func (p *fastParser) attrList(n int) []xml.Attr {
	if cap(p.attrSlab)-len(p.attrSlab) < n {
		p.attrSlab = make([]xml.Attr, 0, max(n, slabSize(cap(p.attrSlab), &p.attrHint, attrSlab)))
	}
	k := len(p.attrSlab)
	p.attrSlab = p.attrSlab[:k+n]
	return p.attrSlab[k : k+n : k+n]
}

// kidList copies kids into the slab.
func (p *fastParser) kidList(kids []*elem) []*elem {
	n := len(kids)
	if cap(p.kidSlab)-len(p.kidSlab) < n {
		p.kidSlab = make([]*elem, 0, max(n, slabSize(cap(p.kidSlab), &p.kidHint, kidsSlab)))
	}
	k := len(p.kidSlab)
	p.kidSlab = append(p.kidSlab, kids...)
	return p.kidSlab[k : k+n : k+n]
}

// parseFastDoc parses a whole document: optional whitespace and XML
// declaration, one root element, optional whitespace.
func parseFastDoc(s string) (*elem, error) {
	p := getParser(s)
	defer putParser(p)
	p.space()
	if strings.HasPrefix(s[p.i:], "<?xml") {
		if !p.xmlDecl() {
			return nil, errNotFast
		}
		p.space()
	}
	e, err := p.root()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(s) {
		return nil, errNotFast
	}
	return e, nil
}

// parseFastElem parses s, exactly one element, with the namespace
// declarations ns in scope.
func parseFastElem(s string, ns []nsDecl) (*elem, error) {
	p := getParser(s)
	defer putParser(p)
	p.ns = append(p.ns, ns...)
	e, err := p.root()
	if err != nil {
		return nil, err
	}
	if p.i != len(s) {
		return nil, errNotFast
	}
	return e, nil
}

func (p *fastParser) root() (*elem, error) {
	if p.i >= len(p.s) || p.s[p.i] != '<' {
		return nil, errNotFast
	}
	if p.i+1 < len(p.s) && (p.s[p.i+1] == '!' || p.s[p.i+1] == '?' || p.s[p.i+1] == '/') {
		return nil, errNotFast
	}
	return p.element(1)
}

// space skips XML white space.
func (p *fastParser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-'
}

// qname reads an ASCII name with at most one colon, not at either end.
func (p *fastParser) qname() (prefix, local string, ok bool) {
	s := p.s
	start := p.i
	if start >= len(s) || !isNameStart(s[start]) {
		return "", "", false
	}
	i := start + 1
	colon := -1
	for i < len(s) {
		c := s[i]
		if isNameChar(c) {
			i++
			continue
		}
		if c == ':' && colon < 0 && i+1 < len(s) && isNameStart(s[i+1]) {
			colon = i
			i++
			continue
		}
		if c == ':' || c >= utf8.RuneSelf {
			return "", "", false // a second colon, a trailing one, or non-ASCII
		}
		break
	}
	p.i = i
	if colon < 0 {
		return "", s[start:i], true
	}
	return s[start:colon], s[colon+1 : i], true
}

// lookup resolves a prefix the way encoding/xml does, declining the cases
// where encoding/xml would keep the prefix itself as the namespace.
func (p *fastParser) lookup(prefix string) (string, bool) {
	switch prefix {
	case "xml":
		return xmlNS, true
	case "xmlns":
		return "", false
	}
	for i := len(p.ns) - 1; i >= 0; i-- {
		if p.ns[i].prefix == prefix {
			return p.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

// element parses the element whose '<' is at p.i, at nesting depth.
func (p *fastParser) element(depth int) (*elem, error) {
	if depth > maxDepth {
		return nil, errNotFast // encoding/xml's path reports it
	}
	s := p.s
	p.i++
	prefix, local, ok := p.qname()
	if !ok || prefix == "" && local == "xmlns" {
		return nil, errNotFast
	}
	nsMark, attrMark, kidMark := len(p.ns), len(p.attrs), len(p.kids)
	// The scratch stacks are cut back on success; a failed parse drops them.
	empty := false
	for {
		p.space()
		if p.i >= len(s) {
			return nil, errNotFast
		}
		if c := s[p.i]; c == '>' {
			p.i++
			break
		} else if c == '/' {
			if p.i+1 >= len(s) || s[p.i+1] != '>' {
				return nil, errNotFast
			}
			p.i += 2
			empty = true
			break
		}
		ap, al, ok := p.qname()
		if !ok {
			return nil, errNotFast
		}
		p.space()
		if p.i >= len(s) || s[p.i] != '=' {
			return nil, errNotFast
		}
		p.i++
		p.space()
		v, ok := p.quoted()
		if !ok {
			return nil, errNotFast
		}
		p.attrs = append(p.attrs, rawAttr{ap, al, v})
	}
	attrs := p.attrs[attrMark:]
	for _, a := range attrs {
		if a.prefix == "xmlns" {
			p.ns = append(p.ns, nsDecl{a.local, a.value})
		} else if a.prefix == "" && a.local == "xmlns" {
			p.ns = append(p.ns, nsDecl{"", a.value})
		}
	}
	e := p.newElem()
	e.Name.Local = local
	if e.Name.Space, ok = p.lookup(prefix); !ok {
		return nil, errNotFast
	}
	if len(attrs) > 0 {
		e.Attr = p.attrList(len(attrs))
		for i, a := range attrs {
			n := xml.Name{Local: a.local}
			switch a.prefix {
			case "", "xmlns":
				n.Space = a.prefix
			default:
				if n.Space, ok = p.lookup(a.prefix); !ok {
					return nil, errNotFast
				}
			}
			e.Attr[i] = xml.Attr{Name: n, Value: a.value}
		}
	}
	p.attrs = p.attrs[:attrMark]
	if empty {
		p.ns = p.ns[:nsMark]
		return e, nil
	}
	var text string
	var joined []byte // the text so far, once it is in several pieces
	for {
		j := strings.IndexByte(s[p.i:], '<')
		if j < 0 {
			return nil, errNotFast
		}
		if j > 0 {
			seg, ok := p.chars(s[p.i:p.i+j], 0)
			if !ok {
				return nil, errNotFast
			}
			switch {
			case text == "" && joined == nil:
				text = seg
			case joined == nil:
				joined = append(append(make([]byte, 0, 2*(len(text)+len(seg))), text...), seg...)
			default:
				joined = append(joined, seg...)
			}
		}
		p.i += j
		if p.i+1 >= len(s) {
			return nil, errNotFast
		}
		switch s[p.i+1] {
		case '/':
			p.i += 2
			ep, el, ok := p.qname()
			if !ok || ep != prefix || el != local {
				return nil, errNotFast
			}
			p.space()
			if p.i >= len(s) || s[p.i] != '>' {
				return nil, errNotFast
			}
			p.i++
			if joined != nil {
				text = string(joined)
			}
			e.Text = text
			if len(p.kids) > kidMark {
				e.Kids = p.kidList(p.kids[kidMark:])
			}
			p.ns, p.kids = p.ns[:nsMark], p.kids[:kidMark]
			return e, nil
		case '!', '?':
			return nil, errNotFast
		}
		k, err := p.element(depth + 1)
		if err != nil {
			return nil, err
		}
		p.kids = append(p.kids, k)
	}
}

// quoted reads a quoted attribute value at p.i.
func (p *fastParser) quoted() (string, bool) {
	s := p.s
	if p.i >= len(s) || s[p.i] != '\'' && s[p.i] != '"' {
		return "", false
	}
	q := s[p.i]
	j := strings.IndexByte(s[p.i+1:], q)
	if j < 0 {
		return "", false
	}
	v, ok := p.chars(s[p.i+1:p.i+1+j], q)
	p.i += j + 2
	return v, ok
}

// chars decodes raw character data (quote 0) or an attribute value
// (quote ' or "): the result, or false when encoding/xml would decode it
// differently (carriage returns), refuse it, or it has a reference other
// than the predefined and numeric ones.
func (p *fastParser) chars(raw string, quote byte) (string, bool) {
	var out []byte // nil while raw needs no decoding
	for i := 0; i < len(raw); {
		if out == nil { // skip the bytes that are themselves
			for i < len(raw) && plainChar[raw[i]] {
				i++
			}
			if i == len(raw) {
				break
			}
		}
		c := raw[i]
		switch {
		case c == '&':
			if out == nil {
				out = append(make([]byte, 0, len(raw)), raw[:i]...)
			}
			n, r := charRef(raw[i:])
			if n == 0 {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && size == 1 || !inCharRange(r) {
				return "", false
			}
			if out != nil {
				out = append(out, raw[i:i+size]...)
			}
			i += size
			continue
		case c < 0x20 && c != '\t' && c != '\n', c == '\r':
			return "", false
		case c == '<':
			return "", false
		case c == '>' && quote == 0 && i >= 2 && raw[i-1] == ']' && raw[i-2] == ']':
			return "", false // encoding/xml refuses "]]>" in text
		}
		if out != nil {
			out = append(out, c)
		}
		i++
	}
	if out == nil {
		return raw, true
	}
	return string(out), true
}

// plainChar marks the bytes chars copies without a look: ASCII but for
// control characters, '&', '<', '>' (for "]]>") and '\r'.
var plainChar = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	t['&'], t['<'], t['>'] = false, false, false
	return t
}()

// charRef decodes the reference at the start of s ("&...;"): its length
// and the character, or 0 for one the fast parser leaves to encoding/xml.
func charRef(s string) (int, rune) {
	for _, e := range [...]struct {
		name string
		r    rune
	}{{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&apos;", '\''}, {"&quot;", '"'}} {
		if strings.HasPrefix(s, e.name) {
			return len(e.name), e.r
		}
	}
	if len(s) < 4 || s[1] != '#' {
		return 0, 0
	}
	i, base := 2, rune(10)
	if s[2] == 'x' {
		i, base = 3, 16
	}
	start := i
	var r rune
	for ; i < len(s) && i-start <= 8; i++ {
		c := s[i]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		case c == ';' && i > start:
			if !inCharRange(r) {
				return 0, 0
			}
			return i + 1, r
		default:
			return 0, 0
		}
		r = r*base + d
		if r > utf8.MaxRune {
			return 0, 0
		}
	}
	return 0, 0
}

// inCharRange is XML's Char production (encoding/xml isInCharacterRange).
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// xmlDecl reads an XML declaration at p.i that encoding/xml accepts
// without a CharsetReader: version 1.0, encoding UTF-8, any standalone.
func (p *fastParser) xmlDecl() bool {
	end := strings.Index(p.s[p.i:], "?>")
	if end < 0 {
		return false
	}
	content := p.s[p.i+len("<?xml") : p.i+end]
	p.i += end + 2
	if content != "" && content[0] != ' ' && content[0] != '\t' && content[0] != '\n' {
		return false // "<?xml-stylesheet", for one
	}
	for {
		content = strings.TrimLeft(content, " \t\n")
		if content == "" {
			return true
		}
		name, rest, ok := strings.Cut(content, "=")
		if !ok || len(rest) < 2 || rest[0] != '\'' && rest[0] != '"' {
			return false
		}
		j := strings.IndexByte(rest[1:], rest[0])
		if j < 0 {
			return false
		}
		val := rest[1 : 1+j]
		content = rest[2+j:]
		switch name {
		case "version":
			if val != "1.0" {
				return false
			}
		case "encoding":
			if !strings.EqualFold(val, "utf-8") {
				return false
			}
		case "standalone":
		default:
			return false
		}
		if content != "" && content[0] != ' ' && content[0] != '\t' && content[0] != '\n' {
			return false
		}
	}
}

// parseBOSHBody parses an HTTP response body: a <body/> of
// http://jabber.org/protocol/httpbind, by the fast parser or else
// encoding/xml.
func parseBOSHBody(data []byte) (*elem, error) {
	e, err := parseFastDoc(string(data))
	if err != nil {
		dec := xml.NewDecoder(bytes.NewReader(data))
		start, err := openWrapper(dec, nsBOSH, "body")
		if err != nil {
			return nil, err
		}
		return readElem(dec, start, 1)
	}
	if !e.is(nsBOSH, "body") {
		return nil, wrapperErr(nsBOSH, "body", e.Name)
	}
	return e, nil
}

// wrapperErr is openWrapper's error for an unexpected root element.
func wrapperErr(space, local string, got xml.Name) error {
	return errors.New("expected <" + local + " xmlns='" + space + "'>, got <" + got.Local + " xmlns='" + got.Space + "'>")
}
