package stream

import (
	"encoding/xml"
	"io"
)

// readHeader reads up to and including the wrapper start tag.
func (d *Decoder) readHeader() error {
	d.br.setLimit(d.max)
	for first := true; ; first = false {
		if err := d.skipSpace(); err != nil {
			if err == io.EOF {
				return d.eofError()
			}
			return err
		}
		atStart := d.br.n == d.start
		t, err := d.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.ProcInst:
			// RFC 6120 §11.5: the XML declaration may open the stream;
			// every other processing instruction is restricted (§11.1).
			if t.Target != "xml" {
				return restricted(t)
			}
			if !first || !atStart {
				return notWellFormed("misplaced XML declaration")
			}
		case xml.StartElement:
			return d.startStream(t)
		case xml.Comment, xml.Directive:
			return restricted(t)
		default:
			return notWellFormed("expected the stream header")
		}
	}
}

// startStream checks the wrapper start tag and records the header.
func (d *Decoder) startStream(se xml.StartElement) error {
	selfClosing := d.br.prev == '/'
	if len(se.Attr) > maxAttrs {
		return NewError(PolicyViolation, "too many attributes")
	}
	if err := d.ns.push(se.Attr); err != nil {
		return err
	}
	uri, ok := d.ns.lookup(se.Name.Space)
	if !ok {
		return badPrefix(se.Name.Space)
	}
	if uri != d.opts.Wrapper.Space {
		return NewError(InvalidNamespace, "wrong stream namespace") // RFC 6120 §4.8.1
	}
	if se.Name.Local != d.opts.Wrapper.Local {
		return notWellFormed("wrong stream element " + se.Name.Local)
	}
	if def, _ := d.ns.lookup(""); len(d.content) > 0 && def != "" && !d.content[def] && def != d.opts.Wrapper.Space {
		return NewError(InvalidNamespace, "unsupported content namespace") // RFC 6120 §4.8.2
	}
	h := Header{Name: xml.Name{Space: uri, Local: se.Name.Local}}
	for _, a := range se.Attr {
		if isDecl(a) {
			h.Attrs = append(h.Attrs, a)
			continue
		}
		space, err := d.ns.resolveAttr(a)
		if err != nil {
			return err
		}
		h.Attrs = append(h.Attrs, xml.Attr{Name: xml.Name{Space: space, Local: a.Name.Local}, Value: a.Value})
	}
	if err := checkDuplicates(h.Attrs); err != nil {
		return err
	}
	d.hdr, d.wrapper, d.state = h, se.Name, stateBody
	if selfClosing {
		d.state = stateDone
		_, err := d.token() // the EndElement half encoding/xml synthesises
		return err
	}
	return nil
}

// checkDuplicates rejects two attributes with the same expanded name, which
// is not namespace-well-formed (XML-NAMES §6.3).
func checkDuplicates(attrs []xml.Attr) error {
	for i := range attrs {
		for j := range i {
			if attrs[i].Name == attrs[j].Name {
				return notWellFormed("duplicate attribute " + attrs[i].Name.Local)
			}
		}
	}
	return nil
}
