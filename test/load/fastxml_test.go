package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// slowBOSH parses a BOSH response body with encoding/xml only.
func slowBOSH(data []byte) (*elem, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	start, err := openWrapper(dec, nsBOSH, "body")
	if err != nil {
		return nil, err
	}
	return readElem(dec, start, 1)
}

// sameElem compares two trees, an empty attribute or child list being
// the same as none.
func sameElem(a, b *elem) error {
	if a.Name != b.Name {
		return fmt.Errorf("name %v != %v", a.Name, b.Name)
	}
	if a.Text != b.Text {
		return fmt.Errorf("<%s> text %q != %q", a.Name.Local, a.Text, b.Text)
	}
	if len(a.Attr) != len(b.Attr) {
		return fmt.Errorf("<%s> attrs %v != %v", a.Name.Local, a.Attr, b.Attr)
	}
	for i := range a.Attr {
		if a.Attr[i] != b.Attr[i] {
			return fmt.Errorf("<%s> attr %v != %v", a.Name.Local, a.Attr[i], b.Attr[i])
		}
	}
	if len(a.Kids) != len(b.Kids) {
		return fmt.Errorf("<%s> %d children != %d", a.Name.Local, len(a.Kids), len(b.Kids))
	}
	for i := range a.Kids {
		if err := sameElem(a.Kids[i], b.Kids[i]); err != nil {
			return err
		}
	}
	return nil
}

const boshNS = " xmlns='http://jabber.org/protocol/httpbind'"

// fastCases are accepted by the fast parser and must parse as with
// encoding/xml.
var fastCases = []string{
	"<body" + boshNS + "/>",
	"<body" + boshNS + "></body>",
	"  <?xml version='1.0' encoding='UTF-8'?>\n<body" + boshNS + " rid='1'/>\n",
	`<?xml version="1.0"?><body xmlns="http://jabber.org/protocol/httpbind"/>`,
	"<?xml version='1.0' encoding='utf-8' standalone='yes'?><body" + boshNS + "/>",
	"<body" + boshNS + " sid='abc' wait='60' requests='2' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xml:lang='en'>" +
		"<stream:features xmlns:stream='http://etherx.jabber.org/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
		"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features></body>",
	"<body" + boshNS + "><message xmlns='jabber:client' from='a@localhost/r' to='b@localhost/x' type='chat' id='m1'>" +
		"<body>17 1700000000000000000</body></message><message xmlns='jabber:client'><body>2</body></message></body>",
	"<body" + boshNS + "><message xmlns='jabber:client' to='&lt;a&amp;b&gt;' id=\"&quot;&apos;\"><body>a &lt; b &#65;&#x42;&#x1F600; é ü 日本</body></message></body>",
	"<body" + boshNS + ">\n  <iq xmlns='jabber:client' type='result' id='bind1'>\n    <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a@b/c</jid></bind>\n  </iq>\n</body>",
	"<body" + boshNS + " type='terminate' condition='remote-stream-error'><stream:error xmlns:stream='http://etherx.jabber.org/streams'>" +
		"<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>x</text></stream:error></body>",
	"<body" + boshNS + "><a xmlns='' b = 'c'\td\n=\"e\"/><x:y xmlns:x='urn:x' x:z='1'>t<k/>u<k/>v</x:y ></body>",
	"<body" + boshNS + "><a t='x]]>y'>]] > ]&gt; ]]&gt;</a></body>",
	"<body" + boshNS + "><a xmlns='urn:a'><b xmlns='urn:b'/><c/></a><d/></body>",
	"<body" + boshNS + "><a xmlns='urn:a' xmlns='urn:c'/></body>",
	"<body" + boshNS + "><a v='line\nbreak\ttab' w='&#13;'>&#13;&#9;</a></body>",
	"<body" + boshNS + "><xml:a xml:b='c'/></body>",
	"<body" + boshNS + "><a>x<b>1<c/>2</b>y<d>3<e/>4<f>5<g/>6</f>7</d>z</a></body>",
}

// declinedCases are declined by the fast parser; encoding/xml decides.
var declinedCases = []string{
	"",
	"   ",
	"<body" + boshNS + ">",
	"<body" + boshNS + "><a></b></body>",
	"<body" + boshNS + "><!-- c --></body>",
	"<!-- c --><body" + boshNS + "/>",
	"<body" + boshNS + "><a><![CDATA[<x>]]></a></body>",
	"<body" + boshNS + "><?pi x?></body>",
	"<!DOCTYPE body><body" + boshNS + "/>",
	"<body" + boshNS + ">a\r\nb</body>",
	"<body" + boshNS + " a='x\ry'/>",
	"<body" + boshNS + ">&nbsp;</body>",
	"<body" + boshNS + ">&#0;</body>",
	"<body" + boshNS + ">&#xD800;</body>",
	"<body" + boshNS + ">&#X41;</body>",
	"<body" + boshNS + ">&amp</body>",
	"<body" + boshNS + "><p:a/></body>",
	"<body" + boshNS + "><a p:b='1'/></body>",
	"<body" + boshNS + "><a b='<'/></body>",
	"<body" + boshNS + "><a b=c/></body>",
	"<body" + boshNS + "><a b/></body>",
	"<body" + boshNS + "><é/></body>",
	"<body" + boshNS + ">\xff</body>",
	"<body" + boshNS + ">\x01</body>",
	"<body" + boshNS + ">]]></body>",
	"<body" + boshNS + "><a:b:c/></body>",
	"<body" + boshNS + "/><trailing/>",
	"<body" + boshNS + "/>junk",
	"<?xml version='1.1'?><body" + boshNS + "/>",
	"<?xml version='1.0' encoding='ISO-8859-1'?><body" + boshNS + "/>",
	"<?xml-stylesheet href='x'?><body" + boshNS + "/>",
	"<body" + boshNS + "><xmlns/></body>",
	"<body" + boshNS + "><xmlns:a/></body>",
	"<body" + boshNS + strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70) + "</body>",
}

func TestFastXMLAgrees(t *testing.T) {
	for _, c := range fastCases {
		fast, err := parseFastDoc(c)
		if err != nil {
			t.Errorf("fast parser declined %q: %v", c, err)
			continue
		}
		slow, err := slowBOSH([]byte(c))
		if err != nil {
			t.Errorf("encoding/xml refused %q: %v", c, err)
			continue
		}
		if err := sameElem(fast, slow); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
}

func TestFastXMLDeclines(t *testing.T) {
	for _, c := range declinedCases {
		if e, err := parseFastDoc(c); !errors.Is(err, errNotFast) {
			t.Errorf("fast parser took %q: %v, %v", c, e, err)
		}
		// parseBOSHBody falls back: same answer as encoding/xml alone.
		got, gerr := parseBOSHBody([]byte(c))
		want, werr := slowBOSH([]byte(c))
		switch {
		case (gerr == nil) != (werr == nil):
			t.Errorf("%q: error %v, encoding/xml's %v", c, gerr, werr)
		case gerr == nil:
			if err := sameElem(got, want); err != nil {
				t.Errorf("%q: %v", c, err)
			}
		}
	}
}

func TestParseBOSHBodyErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "unexpected EOF"},
		{"<body" + boshNS + "><a></b></body>", "element <a> closed by </b>"},
		{"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>", "expected <body xmlns='http://jabber.org/protocol/httpbind'>, got <stream xmlns='http://etherx.jabber.org/streams'>"},
		{"<body xmlns='urn:other'/>", "expected <body xmlns='http://jabber.org/protocol/httpbind'>, got <body xmlns='urn:other'>"},
		{"<body" + boshNS + ">&nbsp;</body>", "invalid character entity &nbsp;"},
		{"<html><h1>Not here</h1>", "expected <body"},
	} {
		_, err := parseBOSHBody([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

// FuzzFastXML checks that whatever the fast parser accepts, encoding/xml
// accepts and parses into the same tree.
func FuzzFastXML(f *testing.F) {
	for _, c := range fastCases {
		f.Add(c)
	}
	for _, c := range declinedCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, err := parseFastDoc(s)
		if err != nil {
			if !errors.Is(err, errNotFast) {
				t.Fatalf("error other than declining: %v", err)
			}
			return
		}
		dec := xml.NewDecoder(strings.NewReader(s))
		var start xml.StartElement
		for {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("fast parser accepted what encoding/xml refuses: %v", err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				start = se
				break
			}
		}
		slow, err := readElem(dec, start, 1)
		if err != nil {
			t.Fatalf("fast parser accepted what encoding/xml refuses: %v", err)
		}
		if err := sameElem(fast, slow); err != nil {
			t.Fatal(err)
		}
	})
}

const streamHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='x' version='1.0'>"

// streamBody is what a server may send after the header: stanzas, white
// space keepalives, and shapes only encoding/xml handles.
var streamBody = "\n<message from='a@localhost/r' to='b@localhost/x' type='chat' id='m1'><body>1 2</body></message> \n" +
	"<presence from='a@localhost/r'/>" +
	"<iq type='result' id='x'><query xmlns='jabber:iq:roster' ver='1'><item jid='c@d' name='x &gt; y'/></query></iq>" +
	"<!-- a comment between stanzas -->" +
	"<message><body><![CDATA[<not markup>]]></body><!-- in a stanza --></message>" +
	"<message a='quoted > and />'><body>x</body></message>" +
	"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>" +
	"<message><body>\r\nline</body></message>" +
	"</stream:stream>"

// slowStanzas reads the stanzas of header+body with encoding/xml.
func slowStanzas(t *testing.T, stream string) []*elem {
	dec := xml.NewDecoder(strings.NewReader(stream))
	if _, err := openWrapper(dec, nsStream, "stream"); err != nil {
		t.Fatal(err)
	}
	var out []*elem
	for {
		e, err := nextElem(dec)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

func TestStanzaReader(t *testing.T) {
	stream := streamHeader + streamBody
	want := slowStanzas(t, stream)
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one-byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			dec := xml.NewDecoder(strings.NewReader(streamHeader))
			hdr, err := openWrapper(dec, nsStream, "stream")
			if err != nil {
				t.Fatal(err)
			}
			sr := newStanzaReader(wrap(strings.NewReader(streamBody)), hdr)
			for i, w := range want {
				got, err := sr.next()
				if err != nil {
					t.Fatalf("stanza %d: %v", i, err)
				}
				if err := sameElem(got, w); err != nil {
					t.Fatalf("stanza %d: %v", i, err)
				}
			}
			if _, err := sr.next(); err != io.EOF {
				t.Fatalf("after the stream's end: %v, want io.EOF", err)
			}
		})
	}
}

func TestStanzaReaderErrors(t *testing.T) {
	dec := xml.NewDecoder(strings.NewReader(streamHeader))
	hdr, _ := openWrapper(dec, nsStream, "stream")
	for _, c := range []struct{ in, want string }{
		{"<message><body>x</body>", "unexpected EOF"},
		{"<message><body>x</bodyy></message>", "element <body> closed by </bodyy>"},
		{"<message>&bogus;</message>", "invalid character entity &bogus;"},
		{"<message", "unexpected EOF"},
	} {
		sr := newStanzaReader(strings.NewReader(c.in), hdr)
		_, err := sr.next()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.want)
		}
	}
}

func BenchmarkParseBOSHBody(b *testing.B) {
	data := []byte("<body" + boshNS + "><message xmlns='jabber:client' from='load12@localhost/load-11' to='load11@localhost/load-10' type='chat' id='m17'>" +
		"<body>17 1764759000123456789</body></message></body>")
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseBOSHBody(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := slowBOSH(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
