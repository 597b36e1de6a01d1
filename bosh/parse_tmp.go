package bosh

// Temporary body decoder until server/stream's Decoder lands.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/beevik/etree"
)

var errMalformed = errors.New("bosh: malformed body")

type tmpDecoder struct {
	d      *xml.Decoder
	header bool
}

func newBodyDecoder(raw []byte) *tmpDecoder {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	return &tmpDecoder{d: d}
}

func (t *tmpDecoder) Header() (StreamHeader, error) {
	for {
		tok, err := t.d.Token()
		if err != nil {
			return StreamHeader{}, errMalformed
		}
		switch v := tok.(type) {
		case xml.ProcInst:
			if v.Target != "xml" {
				return StreamHeader{}, errMalformed
			}
		case xml.CharData:
			if len(bytes.TrimSpace(v)) > 0 {
				return StreamHeader{}, errMalformed
			}
		case xml.StartElement:
			if v.Name.Space != nsBOSH || v.Name.Local != "body" {
				return StreamHeader{}, errMalformed
			}
			return StreamHeader{Name: v.Name, Attrs: v.Attr}, nil
		default:
			return StreamHeader{}, errMalformed
		}
	}
}

func (t *tmpDecoder) Next() (*etree.Element, error) {
	for {
		tok, err := t.d.Token()
		if err != nil {
			return nil, errMalformed
		}
		switch v := tok.(type) {
		case xml.CharData:
			continue
		case xml.EndElement:
			// wrapper closed; nothing may follow but white space
			for {
				tok, err := t.d.Token()
				if err == io.EOF {
					return nil, io.EOF
				}
				if err != nil {
					return nil, errMalformed
				}
				if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
					return nil, errMalformed
				}
			}
		case xml.StartElement:
			return t.element(v, "", 0)
		default:
			return nil, errMalformed
		}
	}
}

func (t *tmpDecoder) element(se xml.StartElement, parentNS string, depth int) (*etree.Element, error) {
	if depth > 64 {
		return nil, errMalformed
	}
	el := etree.NewElement(se.Name.Local)
	ns := se.Name.Space
	if depth == 0 && (ns == "jabber:client" || ns == nsBOSH) {
		ns = "jabber:client"
	} else if ns != parentNS {
		el.CreateAttr("xmlns", ns)
	}
	for _, a := range se.Attr {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
		case a.Name.Space == nsXML:
			el.CreateAttr("xml:"+a.Name.Local, a.Value)
		case a.Name.Space == "":
			el.CreateAttr(a.Name.Local, a.Value)
		}
	}
	for {
		tok, err := t.d.Token()
		if err != nil {
			return nil, errMalformed
		}
		switch v := tok.(type) {
		case xml.CharData:
			el.CreateText(string(v))
		case xml.StartElement:
			c, err := t.element(v, ns, depth+1)
			if err != nil {
				return nil, err
			}
			el.AddChild(c)
		case xml.EndElement:
			return el, nil
		default:
			return nil, errMalformed
		}
	}
}
