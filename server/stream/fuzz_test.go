package stream

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzDecoder checks that the decoder never panics, that it only fails
// with stream errors or end of input, and that every element it yields
// serialises to XML that decodes to the same element.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		`<message to='a@b'><body>hi</body></message>`,
		`<iq type='get' id='1'><foo:query xmlns:foo='urn:x'><foo:item a='&amp;'/></foo:query></iq>`,
		`<message xmlns:e='urn:e'><body e:a='1' xml:lang='en'>&#13;<![CDATA[<x>]]></body></message>`,
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAA=</auth>`,
		`<presence/> <presence><status>a&#x9;b</status></presence></stream:stream>`,
		`<message><!-- c --></message>`,
		`<?xml version='1.0'?>`,
		`<q xmlns='urn:q'><n xmlns=''/></q>`,
	} {
		f.Add(tcpHeader + s)
	}
	f.Add(`<body rid='1' xmlns='http://jabber.org/protocol/httpbind' xmlns:x='urn:xmpp:xbosh' x:restart='true'/>`)
	f.Add(`<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'/></body>`)
	f.Add(`<body xmlns='http://jabber.org/protocol/httpbind'><message><x xmlns='jabber:client'/><y/></message></body>`)
	f.Fuzz(func(t *testing.T, in string) {
		o := TCPOptions(4096)
		if strings.Contains(in, "<body") {
			o = BOSHOptions(4096)
		}
		bytewise, errA := fuzzDecode(t, NewDecoder(iotest.OneByteReader(strings.NewReader(in)), o))
		bulk, errB := fuzzDecode(t, NewDecoder(strings.NewReader(in), o))
		if strings.Join(bytewise, "\n") != strings.Join(bulk, "\n") || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("byte-wise and bulk reads differ:\n%q %v\n%q %v", bytewise, errA, bulk, errB)
		}
	})
}

// fuzzDecode reads up to 100 elements, checking errors and round trips.
func fuzzDecode(t *testing.T, d *Decoder) ([]string, error) {
	var outs []string
	for range 100 {
		el, err := d.Next()
		if err != nil {
			var se *Error
			if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.As(err, &se) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return outs, err
		}
		out := String(el)
		outs = append(outs, out)
		again := NewDecoder(strings.NewReader(tcpHeader+out), TCPOptions(0))
		el2, err := again.Next()
		if err != nil {
			t.Fatalf("re-decoding %q: %v", out, err)
		}
		if out2 := String(el2); out2 != out {
			t.Fatalf("round trip changed element:\n%q\n%q", out, out2)
		}
	}
	return outs, nil
}
