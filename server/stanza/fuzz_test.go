package stanza

import (
	"testing"

	"github.com/beevik/etree"
)

// FuzzParse feeds arbitrary XML to Parse: it must not panic; a partial
// stanza comes only with a *Error; the error reply carries the error sent;
// and the error reply to any valid stanza that is not an error parses again, with the header swapped and an <error/>
// that reads back as the error sent.
func FuzzParse(f *testing.F) {
	f.Add("<message to='romeo@example.net' id='1'><body>hi</body></message>")
	f.Add("<iq type='get' id='1' from='a@b/c'><ping xmlns='urn:xmpp:ping'/></iq>")
	f.Add("<presence type='subscribe' to='a@b'/>")
	f.Add("<iq type='error' id='1'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:x@y</gone></error></iq>")
	f.Fuzz(func(t *testing.T, x string) {
		doc := etree.NewDocument()
		if doc.ReadFromString(x) != nil || doc.Root() == nil {
			return
		}
		el := doc.Root()
		s, err := Parse(el)
		if s == nil {
			return
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("partial stanza with %T %v", err, err)
			}
		}
		ParseError(el)
		e := NewError(ItemNotFound, "x")
		r := ErrorReply(s, e)
		if s.Type == "error" {
			if r != nil {
				t.Fatal("error answered")
			}
			return
		}
		if pe := ParseError(r.El); pe == nil || pe.Condition != ItemNotFound || pe.Text != "x" {
			t.Fatalf("reply error reads back as %+v", pe)
		}
		if err != nil {
			return // a header error can stay in the reply, as a missing iq id
		}
		back, err := Parse(r.El)
		if err != nil {
			t.Fatalf("reply %s does not parse: %v", canon(r.El), err)
		}
		if back.To != s.From || back.From != s.To || back.ID != s.ID || back.Type != "error" {
			t.Fatalf("reply header %+v for %+v", back, s)
		}
	})
}
