package stream

import (
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

// Limits against inputs that are small but costly to hold or process.
const (
	maxAttrs = 256  // attributes (declarations included) on one element
	maxDepth = 1024 // nesting depth inside one first-level element
)

// errCharset is what the decoder's CharsetReader returns: RFC 6120 §11.6
// allows UTF-8 only.
var errCharset = errors.New("stream: only UTF-8 is supported")

// refuseCharset is the xml.Decoder CharsetReader: it refuses every encoding
// other than UTF-8, which encoding/xml never asks about.
func refuseCharset(string, io.Reader) (io.Reader, error) { return nil, errCharset }

// state is where a Decoder is in its stream.
type state uint8

const (
	stateHeader state = iota // the wrapper start tag is still to be read
	stateBody                // reading first-level children
	stateDone                // the wrapper is closed
)

// frame is one open element while a first-level element is read.
type frame struct {
	raw xml.Name // name as written, to match the end tag
	ns  string   // resolved namespace
	el  *etree.Element
}

// Decoder reads one XML stream: its header, then its first-level elements.
// A Decoder is not safe for concurrent use.
//
// The Decoder reads from its reader through a small buffer of its own and
// never consumes input past the end of the element Next returns, so that a
// transport can switch to TLS after <starttls/> (RFC 6120 §5.4.3.3) by
// calling Reset with the TLS connection; see Buffered.
type Decoder struct {
	opts     Options
	max      int64
	document bool
	content  map[string]bool
	primary  string // ContentNamespaces[0], the namespace "" stands for

	br     byteReader
	xd     *xml.Decoder
	ns     nsScope
	frames []frame
	text   []byte // character data not yet added to the innermost element
	alias  string // content namespace read as primary in this element

	state   state
	start   int64 // br.n when the stream began
	hdr     Header
	wrapper xml.Name // the wrapper's name as written
	err     error    // sticky error
}

// NewDecoder returns a Decoder reading a stream from r.
func NewDecoder(r io.Reader, o Options) *Decoder {
	d := &Decoder{opts: o, max: int64(o.MaxStanzaSize), content: map[string]bool{}}
	if d.max <= 0 {
		d.max = DefaultMaxStanzaSize
	}
	d.document = o.Document || o.Wrapper.Space == NSBOSH
	for _, ns := range o.ContentNamespaces {
		d.content[ns] = true
	}
	if len(o.ContentNamespaces) > 0 {
		d.primary = o.ContentNamespaces[0]
	}
	d.br.limit = -1
	d.Reset(r)
	return d
}

// Reset starts a new stream on r, as after STARTTLS or SASL success
// (RFC 6120 §4.3.3). Input already buffered is kept when r is the reader the
// Decoder reads from (a client may send the new stream header right after
// SASL success) and discarded otherwise.
func (d *Decoder) Reset(r io.Reader) {
	d.br.reset(r)
	d.xd = xml.NewDecoder(&d.br)
	d.xd.Strict = true
	d.xd.CharsetReader = refuseCharset
	d.ns.reset()
	clear(d.frames)
	d.frames = d.frames[:0]
	d.text = d.text[:0]
	d.state = stateHeader
	d.start = d.br.n
	d.hdr = Header{}
	d.wrapper = xml.Name{}
	d.err = nil
}

// Buffered returns how many bytes the Decoder has read from its reader but
// not yet decoded. After the client's <starttls/> it must be 0: a client
// sends nothing more until it has received <proceed/> (RFC 6120 §5.4.3.3).
func (d *Decoder) Buffered() int { return d.br.buffered() }

// Header reads the optional XML declaration and the wrapper start tag. It
// may be called again and returns the same header. The wrapper must have the
// namespace of Options.Wrapper (else invalid-namespace) and its local name
// (else not-well-formed); its prefix does not matter.
func (d *Decoder) Header() (Header, error) {
	if d.err != nil {
		return Header{}, d.err
	}
	if d.state != stateHeader {
		return d.hdr, nil
	}
	if err := d.readHeader(); err != nil {
		d.err = err
		return Header{}, err
	}
	return d.hdr, nil
}

// Next returns the next first-level element of the stream, reading the
// header first if Header was not called. It returns io.EOF once the wrapper
// is closed, an *Error for a protocol violation (after which the stream must
// be closed with that error), io.ErrUnexpectedEOF when the input ends before
// the wrapper is closed (an *Error not-well-formed for Options.Document
// input), and otherwise the reader's error. A read error while waiting for
// an element, before any of it was read, leaves the Decoder usable (a read
// deadline may serve to probe the connection); any other error is final.
func (d *Decoder) Next() (*etree.Element, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.state == stateHeader {
		if _, err := d.Header(); err != nil {
			return nil, err
		}
	}
	if d.state == stateDone {
		return nil, io.EOF
	}
	d.br.setLimit(-1)
	if err := d.skipSpace(); err != nil {
		if err == io.EOF {
			d.err = d.eofError()
			return nil, d.err
		}
		return nil, err
	}
	d.br.setLimit(d.max)
	el, err := d.readElement()
	if err != nil {
		d.err = err
		return nil, err
	}
	return el, nil
}

// skipSpace consumes white space: whitespace keepalives between elements
// (RFC 6120 §4.6.1) never reach encoding/xml, so they cost no memory however
// long a stream idles.
func (d *Decoder) skipSpace() error {
	for {
		c, err := d.br.peek()
		if err != nil {
			return err
		}
		if !isSpace(c) {
			return nil
		}
		d.br.off++
		d.br.n++
	}
}

// eofError is the error for input that ends before the wrapper is closed.
func (d *Decoder) eofError() error {
	if d.document {
		return notWellFormed("unexpected end of input")
	}
	return io.ErrUnexpectedEOF
}

// token returns the next raw token, mapping errors to stream errors.
func (d *Decoder) token() (xml.Token, error) {
	d.br.err = nil
	t, err := d.xd.RawToken()
	if err == nil {
		return t, nil
	}
	var syn *xml.SyntaxError
	switch {
	case d.br.over:
		e := NewError(PolicyViolation, "element larger than the maximum stanza size")
		e.App = etree.NewElement("stanza-too-big")
		e.App.CreateAttr("xmlns", NSXMPPErrors)
		return nil, e
	case d.br.err == io.EOF:
		return nil, d.eofError()
	case d.br.err != nil:
		return nil, d.br.err
	case errors.Is(err, errCharset):
		return nil, NewError(UnsupportedEncoding, "only UTF-8 is supported")
	case errors.As(err, &syn) && syn.Msg == "invalid UTF-8":
		return nil, NewError(UnsupportedEncoding, syn.Msg) // RFC 6120 §4.9.3.22
	case errors.As(err, &syn):
		return nil, notWellFormed(syn.Msg)
	}
	return nil, notWellFormed(err.Error())
}

// restricted is the restricted-xml stream error for the XML features RFC
// 6120 §11.1 bans from streams.
func restricted(t xml.Token) *Error {
	what := "processing instruction"
	switch t.(type) {
	case xml.Comment:
		what = "comment"
	case xml.Directive:
		what = "DTD or entity declaration"
	}
	return NewError(RestrictedXML, what+" not allowed")
}

// readElement reads one complete first-level element; io.EOF when the
// wrapper's end tag comes instead.
func (d *Decoder) readElement() (*etree.Element, error) {
	var root *etree.Element
	for {
		t, err := d.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			el, err := d.open(t)
			if err != nil {
				return nil, err
			}
			if root == nil {
				root = el
			}
		case xml.EndElement:
			if len(d.frames) == 0 {
				return nil, d.endStream(t)
			}
			if err := d.close(t); err != nil {
				return nil, err
			}
			if len(d.frames) == 0 {
				return root, nil
			}
		case xml.CharData:
			if len(d.frames) == 0 {
				return nil, notWellFormed("character data between elements")
			}
			d.text = append(d.text, t...)
		default:
			return nil, restricted(t)
		}
	}
}

// endStream handles the wrapper end tag (RFC 6120 §4.4).
func (d *Decoder) endStream(t xml.EndElement) error {
	if t.Name != d.wrapper {
		return notWellFormed("unexpected end tag " + t.Name.Local)
	}
	d.state = stateDone
	return io.EOF
}

// flushText adds pending character data to the innermost open element.
func (d *Decoder) flushText() {
	if len(d.text) > 0 {
		d.frames[len(d.frames)-1].el.CreateText(string(d.text))
		d.text = d.text[:0]
	}
}

// close ends the innermost open element.
func (d *Decoder) close(t xml.EndElement) error {
	f := &d.frames[len(d.frames)-1]
	if t.Name != f.raw {
		return notWellFormed("end tag " + t.Name.Local + " does not match " + f.raw.Local)
	}
	d.flushText()
	d.ns.pop()
	d.frames[len(d.frames)-1] = frame{}
	d.frames = d.frames[:len(d.frames)-1]
	return nil
}

// open starts an element: it resolves its namespace and attributes, and
// adds it to its parent.
//
// A first-level element in a content namespace other than the first (the
// httpbind namespace of a BOSH body whose children do not declare
// jabber:client) is read as if that namespace were the first throughout the
// element, so that its elements look exactly as those of a TCP stream.
func (d *Decoder) open(se xml.StartElement) (*etree.Element, error) {
	if len(d.frames) >= maxDepth {
		return nil, NewError(PolicyViolation, "elements nested too deeply")
	}
	if len(se.Attr) > maxAttrs {
		return nil, NewError(PolicyViolation, "too many attributes")
	}
	if err := d.ns.push(se.Attr); err != nil {
		return nil, err
	}
	ns, err := d.elementNamespace(se.Name)
	if err != nil {
		return nil, err
	}
	el := etree.NewElement(se.Name.Local)
	if len(d.frames) == 0 {
		d.alias = ""
		if d.content[ns] && ns != d.primary {
			d.alias = ns
		}
	}
	if ns == d.alias && ns != "" {
		ns = d.primary
	}
	if len(d.frames) == 0 {
		if !d.content[ns] {
			el.CreateAttr("xmlns", ns)
		}
	} else {
		d.flushText()
		parent := d.frames[len(d.frames)-1]
		if ns != parent.ns {
			el.CreateAttr("xmlns", ns)
		}
		parent.el.AddChild(el)
	}
	if err := d.addAttrs(el, se.Attr); err != nil {
		return nil, err
	}
	d.frames = append(d.frames, frame{raw: se.Name, ns: ns, el: el})
	return el, nil
}

// elementNamespace resolves the namespace of an element name.
func (d *Decoder) elementNamespace(n xml.Name) (string, error) {
	if n.Local == "" || strings.ContainsRune(n.Local, ':') {
		return "", notWellFormed("invalid element name " + n.Local)
	}
	ns, ok := d.ns.lookup(n.Space)
	if !ok {
		return "", badPrefix(n.Space)
	}
	if ns == "" && len(d.frames) == 0 {
		// RFC 6120 §4.8.2: first-level elements need a namespace.
		return "", NewError(InvalidNamespace, "element "+n.Local+" has no namespace")
	}
	return ns, nil
}

// addAttrs copies the attributes of a start tag to el without prefixes,
// except xml: and the prefixes of namespaced attributes, which are declared
// on el.
func (d *Decoder) addAttrs(el *etree.Element, attrs []xml.Attr) error {
	var seen [16]xml.Name
	resolved := seen[:0]
	for _, a := range attrs {
		if isDecl(a) {
			continue
		}
		uri, err := d.ns.resolveAttr(a)
		if err != nil {
			return err
		}
		name := xml.Name{Space: uri, Local: a.Name.Local}
		if slices.Contains(resolved, name) {
			return notWellFormed("duplicate attribute " + a.Name.Local)
		}
		resolved = append(resolved, name)
		switch a.Name.Space {
		case "":
			el.CreateAttr(a.Name.Local, a.Value)
		case "xml":
			el.CreateAttr("xml:"+a.Name.Local, a.Value)
		default:
			if el.SelectAttr("xmlns:"+a.Name.Space) == nil {
				el.CreateAttr("xmlns:"+a.Name.Space, uri)
			}
			el.CreateAttr(a.Name.Space+":"+a.Name.Local, a.Value)
		}
	}
	return nil
}
