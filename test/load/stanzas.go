package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxStanza bounds one top-level element read from a TCP stream.
const maxStanza = 16 << 20

// stanzaReader reads the top-level elements of an XMPP stream once its
// header has been read: it finds where each element ends with a light
// scan of the tags (quotes, comments, CDATA and processing instructions
// taken into account), then parses it with the fast parser, or with
// encoding/xml in the namespace context of the stream header when the
// fast parser declines it. Text, comments and processing instructions
// between top-level elements are skipped, as encoding/xml's reader of the
// negotiation skipped them.
type stanzaReader struct {
	r     io.Reader // where the negotiation's decoder stopped reading
	ns    []nsDecl  // declarations of the stream header
	open  string    // a start tag declaring ns, for encoding/xml
	buf   []byte
	start int // start of the element being read, or of unscanned input
	scan  int // scanned up to here (a token boundary)
	end   int // end of the bytes read
	depth int // elements open at scan
}

// newStanzaReader reads the elements after header from r.
func newStanzaReader(r io.Reader, header xml.StartElement) *stanzaReader {
	s := &stanzaReader{r: r}
	var open strings.Builder
	open.WriteString("<w")
	for _, a := range header.Attr {
		switch {
		case a.Name.Space == "xmlns":
			s.ns = append(s.ns, nsDecl{a.Name.Local, a.Value})
			open.WriteString(" xmlns:" + a.Name.Local + "='" + esc(a.Value) + "'")
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			s.ns = append(s.ns, nsDecl{"", a.Value})
			open.WriteString(" xmlns='" + esc(a.Value) + "'")
		}
	}
	open.WriteString(">")
	s.open = open.String()
	return s
}

// next returns the next top-level element, io.EOF when the server closes
// its stream.
func (s *stanzaReader) next() (*elem, error) {
	for range maxStanza { // each pass reads at least one byte
		if e, done, err := s.split(); done {
			return e, err
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("stanza reader: no progress")
}

// Kinds of token found by tokenLen.
const (
	tokIncomplete = iota
	tokStart
	tokEmpty // a self-closing start tag
	tokEnd
	tokOther // comment, CDATA section, processing instruction, declaration
)

// split scans what has been read for the end of the current element; done
// reports an element (or an error, or io.EOF at the stream's end tag).
func (s *stanzaReader) split() (e *elem, done bool, err error) {
	b := s.buf[:s.end]
	i := s.scan
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			i = len(b)
			break
		}
		i += j
		kind, n := tokenLen(b[i:])
		if kind == tokIncomplete {
			break
		}
		switch kind {
		case tokEnd:
			if s.depth == 0 { // the stream's end tag
				s.consume(i + n)
				return nil, true, io.EOF
			}
			s.depth--
			if s.depth == 0 {
				e, err := s.parse(b[s.start : i+n])
				s.consume(i + n)
				return e, true, err
			}
		case tokEmpty:
			if s.depth == 0 {
				e, err := s.parse(b[i : i+n])
				s.consume(i + n)
				return e, true, err
			}
		case tokStart:
			if s.depth == 0 {
				s.start = i
			}
			s.depth++
		}
		i += n
	}
	s.scan = i
	if s.depth == 0 {
		s.start = i // nothing before i is kept
	}
	return nil, false, nil
}

// consume drops the input before i.
func (s *stanzaReader) consume(i int) {
	s.start, s.scan = i, i
}

// fill reads more input, moving what is kept to the front of the buffer
// or growing it when it is full.
func (s *stanzaReader) fill() error {
	p, err := s.room()
	if err != nil {
		return err
	}
	n, err := s.r.Read(p)
	s.end += n
	if n > 0 {
		return nil
	}
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// room returns the free end of the buffer, after moving what is kept to
// the front or growing the buffer when it is full.
func (s *stanzaReader) room() ([]byte, error) {
	if s.start > 0 && (s.start == s.end || s.end == len(s.buf)) {
		copy(s.buf, s.buf[s.start:s.end])
		s.end -= s.start
		s.scan -= s.start
		s.start = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxStanza {
			return nil, fmt.Errorf("stanza larger than %d bytes", maxStanza)
		}
		nb := make([]byte, max(4096, 2*len(s.buf)))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	return s.buf[s.end:], nil
}

// feed takes n bytes read into room and hands every element now complete
// to onElem; it returns the first error (io.EOF at the stream's end).
func (s *stanzaReader) feed(n int, onElem func(*elem) error) error {
	s.end += n
	for {
		e, done, err := s.split()
		if !done {
			return nil
		}
		if err == nil {
			err = onElem(e)
		}
		if err != nil {
			return err
		}
	}
}

// tokenLen returns the kind and length of the markup at the start of b,
// which begins with '<'; tokIncomplete when b ends before it does.
func tokenLen(b []byte) (kind, n int) {
	if len(b) < 2 {
		return tokIncomplete, 0
	}
	find := func(from int, end string, kind int) (int, int) {
		if from > len(b) {
			return tokIncomplete, 0
		}
		k := bytes.Index(b[from:], []byte(end))
		if k < 0 {
			return tokIncomplete, 0
		}
		return kind, from + k + len(end)
	}
	switch b[1] {
	case '/':
		return find(2, ">", tokEnd)
	case '?':
		return find(2, "?>", tokOther)
	case '!':
		switch {
		case len(b) < 4:
			return tokIncomplete, 0
		case b[2] == '-' && b[3] == '-':
			return find(4, "-->", tokOther)
		case b[2] == '[':
			if len(b) < 9 {
				return tokIncomplete, 0
			}
			if bytes.HasPrefix(b, []byte("<![CDATA[")) {
				return find(9, "]]>", tokOther)
			}
		}
		return find(2, ">", tokOther)
	}
	var q byte
	for k := 1; k < len(b); k++ {
		c := b[k]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"':
			q = c
		case c == '>':
			if b[k-1] == '/' {
				return tokEmpty, k + 1
			}
			return tokStart, k + 1
		}
	}
	return tokIncomplete, 0
}

// parse parses one complete top-level element.
func (s *stanzaReader) parse(raw []byte) (*elem, error) {
	e, err := parseFastElem(string(raw), s.ns)
	if err == nil {
		return e, nil
	}
	dec := xml.NewDecoder(io.MultiReader(strings.NewReader(s.open), bytes.NewReader(raw)))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	e, err = nextElem(dec)
	if err == io.EOF {
		return nil, fmt.Errorf("xml: unexpected end tag in %.40q", raw)
	}
	return e, err
}
