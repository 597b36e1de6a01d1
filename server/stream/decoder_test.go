package stream

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/beevik/etree"
)

const tcpHeader = `<?xml version='1.0'?><stream:stream from='juliet@im.example.com' to='im.example.com' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// decodeAll reads every element of s, fed one byte at a time, and returns
// them serialised, with the error that ended the stream.
func decodeAll(t *testing.T, o Options, s string) ([]string, error) {
	t.Helper()
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(s)), o)
	var out []string
	for {
		el, err := d.Next()
		if err != nil {
			return out, err
		}
		out = append(out, String(el))
	}
}

func TestDecodeNormalises(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", `<message to='a@b'><body>hi</body></message>`,
			`<message to="a@b"><body>hi</body></message>`},
		{"explicit content ns", `<message xmlns='jabber:client'><body>hi</body></message>`,
			`<message><body>hi</body></message>`},
		{"nonza keeps xmlns", `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`,
			`<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`},
		{"prefixed child", `<iq type='get' id='1'><foo:query xmlns:foo='urn:x'><foo:item/><bar/></foo:query></iq>`,
			`<iq type="get" id="1"><query xmlns="urn:x"><item/><bar xmlns="jabber:client"/></query></iq>`},
		{"nested default", `<iq><query xmlns='jabber:iq:roster'><item jid='a@b'><group>g</group></item></query></iq>`,
			`<iq><query xmlns="jabber:iq:roster"><item jid="a@b"><group>g</group></item></query></iq>`},
		{"xml lang", `<message xml:lang='de'><body xml:lang='en'>x</body></message>`,
			`<message xml:lang="de"><body xml:lang="en">x</body></message>`},
		{"namespaced attr", `<message xmlns:e='urn:ext'><body e:a='1'>x</body></message>`,
			`<message><body xmlns:e="urn:ext" e:a="1">x</body></message>`},
		{"header declared prefix", `<stream:features><x/></stream:features>`,
			`<features xmlns="http://etherx.jabber.org/streams"><x xmlns="jabber:client"/></features>`},
		{"escapes", `<message><body a='&lt;&amp;&quot;&#10;'>&lt;&gt;&amp;"'&#13;<![CDATA[<b>]]></body></message>`,
			`<message><body a="&lt;&amp;&quot;&#xA;">&lt;&gt;&amp;"'&#xD;&lt;b&gt;</body></message>`},
		{"whitespace kept inside", "<message>\n <body> x </body>\n</message>",
			"<message>\n <body> x </body>\n</message>"},
		{"undeclare default", `<iq><q xmlns='urn:q'><n xmlns=''/></q></iq>`,
			`<iq><q xmlns="urn:q"><n xmlns=""/></q></iq>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAll(t, TCPOptions(0), tcpHeader+"\n  "+tt.in+"  \n</stream:stream>")
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(tcpHeader)), TCPOptions(0))
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name.Space != NSStream || h.Name.Local != "stream" {
		t.Errorf("name = %v", h.Name)
	}
	for _, c := range []struct{ space, local, want string }{
		{"", "to", "im.example.com"}, {"", "version", "1.0"}, {NSXML, "lang", "en"},
		{"", "xmlns", NSClient}, {"xmlns", "stream", NSStream}, {"", "id", ""},
	} {
		if got := h.Attr(c.space, c.local); got != c.want {
			t.Errorf("Attr(%q, %q) = %q, want %q", c.space, c.local, got, c.want)
		}
	}
	if h.Lang() != "en" {
		t.Errorf("Lang = %q", h.Lang())
	}
	if _, err := d.Next(); err != io.ErrUnexpectedEOF {
		t.Errorf("Next at end of TCP input = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestAnyStreamPrefix(t *testing.T) {
	in := `<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' to='x'><presence/><s:features/></s:stream>`
	got, err := decodeAll(t, TCPOptions(0), in)
	want := []string{`<presence/>`, `<features xmlns="http://etherx.jabber.org/streams"/>`}
	if err != io.EOF || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestBOSHBody(t *testing.T) {
	in := `<body rid='1573741824' sid='SomeSID' to='example.com' xmlns='http://jabber.org/protocol/httpbind' xmlns:x='urn:xmpp:xbosh' x:restart='true' xml:lang='en'>` +
		`<message xmlns='jabber:client' to='a@b'><body>hi</body></message><iq type='get' id='p'/></body>`
	d := NewDecoder(iotest.OneByteReader(strings.NewReader(in)), BOSHOptions(0))
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h.Attr(NSXBOSH, "restart") != "true" || h.Attr("", "rid") != "1573741824" || h.Lang() != "en" {
		t.Errorf("header attrs = %+v", h.Attrs)
	}
	var got []string
	for {
		el, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, String(el))
	}
	want := `<message to="a@b"><body>hi</body></message>|<iq type="get" id="p"/>`
	if strings.Join(got, "|") != want {
		t.Errorf("got %q", got)
	}
}

func TestBOSHEmptyBody(t *testing.T) {
	for _, in := range []string{
		`<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>`,
		`<b:body rid='1' xmlns:b='http://jabber.org/protocol/httpbind'></b:body>`,
	} {
		got, err := decodeAll(t, BOSHOptions(0), in)
		if err != io.EOF || len(got) != 0 {
			t.Errorf("%s: got %q, %v", in, got, err)
		}
	}
}

func TestBOSHTruncated(t *testing.T) {
	for _, in := range []string{
		`<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><bo`,
		`<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'/>`,
		`<body rid='1' xmlns='http://jabber.org/protocol/httpbind'`,
		``,
	} {
		_, err := decodeAll(t, BOSHOptions(0), in)
		if !errors.Is(err, NotWellFormed) {
			t.Errorf("%q: err = %v, want not-well-formed", in, err)
		}
	}
}

func TestTCPUnexpectedEOF(t *testing.T) {
	_, err := decodeAll(t, TCPOptions(0), tcpHeader+`<message><body>`)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

// errReader returns data and then a non-EOF error.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestReadErrorBetweenElementsIsRecoverable(t *testing.T) {
	boom := errors.New("deadline")
	r := &errReader{r: strings.NewReader(tcpHeader + `<presence/> `), err: boom}
	d := NewDecoder(r, TCPOptions(0))
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != boom {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	r.r, r.err = strings.NewReader(`<message/></stream:stream>`), io.EOF
	el, err := d.Next()
	if err != nil || el.Tag != "message" {
		t.Fatalf("after error: %v, %v", el, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     Condition
	}{
		{"comment top", tcpHeader + `<!-- hi -->`, RestrictedXML},
		{"comment inside", tcpHeader + `<message><!--<subject/>--><body/></message>`, RestrictedXML},
		{"comment before header", `<!-- x --><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, RestrictedXML},
		{"pi", tcpHeader + `<message><?php echo 1 ?></message>`, RestrictedXML},
		{"pi before header", `<?xml version='1.0'?><?style x?>` + tcpHeader[21:], RestrictedXML},
		{"doctype", `<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]>` + tcpHeader[21:], RestrictedXML},
		{"entity decl inside", tcpHeader + `<message><!ENTITY x 'y'></message>`, RestrictedXML},
		{"misplaced xml decl", tcpHeader + `<?xml version='1.0'?>`, RestrictedXML},
		{"late xml decl", ` <?xml version='1.0'?>` + tcpHeader[21:], NotWellFormed},
		{"undefined entity", tcpHeader + `<message>&foo;</message>`, NotWellFormed},
		{"mismatched end", tcpHeader + `<message><body></message>`, NotWellFormed},
		{"mismatched prefix end", tcpHeader + `<a:x xmlns:a='urn:a' xmlns:b='urn:a'></b:x>`, NotWellFormed},
		{"bad wrapper end", tcpHeader + `</stream:foo>`, NotWellFormed},
		{"text top", tcpHeader + `hello`, NotWellFormed},
		{"cdata top", tcpHeader + `<![CDATA[ ]]>`, NotWellFormed},
		{"garbage", tcpHeader + `<message <`, NotWellFormed},
		{"dup attr", tcpHeader + `<message to='a' to='b'/>`, NotWellFormed},
		{"dup expanded attr", tcpHeader + `<message xmlns:a='urn:a' xmlns:b='urn:a' a:x='1' b:x='2'/>`, NotWellFormed},
		{"dup ns decl", tcpHeader + `<message xmlns:a='urn:a' xmlns:a='urn:b'/>`, NotWellFormed},
		{"empty prefix decl", tcpHeader + `<message xmlns:a=''/>`, NotWellFormed},
		{"xml rebound", tcpHeader + `<message xmlns:xml='urn:x'/>`, NotWellFormed},
		{"xmlns declared", tcpHeader + `<message xmlns:xmlns='urn:x'/>`, NotWellFormed},
		{"attr without value", tcpHeader + `<message to/>`, NotWellFormed},
		{"wrong wrapper name", `<stream:foo xmlns:stream='http://etherx.jabber.org/streams'>`, NotWellFormed},
		{"end tag first", `</stream:stream>`, NotWellFormed},
		{"text before header", `hi<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`, NotWellFormed},
		{"xml version 2", `<?xml version='2.0'?>` + tcpHeader[21:], NotWellFormed},
		{"wrong stream ns", `<stream:stream xmlns='jabber:client' xmlns:stream='http://wrong.namespace.example.org/'>`, InvalidNamespace},
		{"no stream ns", `<stream xmlns='jabber:client'>`, InvalidNamespace},
		{"wrong content ns", `<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>`, InvalidNamespace},
		{"no content ns", `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message/>`, InvalidNamespace},
		{"undeclared wrapper prefix", `<foobar:stream xmlns='jabber:client'>`, BadNamespacePrefix},
		{"undeclared prefix", tcpHeader + `<message><foo:body>What is this foo?</foo:body></message>`, BadNamespacePrefix},
		{"undeclared attr prefix", tcpHeader + `<message foo:a='1'/>`, BadNamespacePrefix},
		{"utf16", `<?xml version='1.0' encoding='UTF-16'?>` + tcpHeader[21:], UnsupportedEncoding},
		{"latin1", `<?xml version='1.0' encoding='ISO-8859-1'?>` + tcpHeader[21:], UnsupportedEncoding},
		{"invalid utf8", tcpHeader + "<message><body>\xff\xfe</body></message>", UnsupportedEncoding},
		{"control char", tcpHeader + "<message><body>\x01</body></message>", NotWellFormed},
		{"too many attrs", tcpHeader + `<message ` + strings.Repeat(`a='' `, 0) + manyAttrs(maxAttrs+1) + `/>`, PolicyViolation},
		{"too deep", tcpHeader + strings.Repeat(`<a>`, maxDepth+1), PolicyViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeAll(t, TCPOptions(0), tt.in)
			var se *Error
			if !errors.As(err, &se) || se.Condition != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, &Error{Condition: tt.want}) {
				t.Fatalf("errors.Is(%v, %s) = false", err, tt.want)
			}
		})
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString("=''")
	}
	return b.String()
}

func TestErrorIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(tcpHeader+`<!-- x --><message/>`), TCPOptions(0))
	_, err1 := d.Next()
	_, err2 := d.Next()
	if !errors.Is(err1, RestrictedXML) || err1 != err2 {
		t.Fatalf("errors %v, %v", err1, err2)
	}
}

func TestMaxStanzaSize(t *testing.T) {
	const max = 1000
	small := `<message><body>` + strings.Repeat("x", max-len(`<message><body></body></message>`)) + `</body></message>`
	if len(small) != max {
		t.Fatal(len(small))
	}
	got, err := decodeAll(t, TCPOptions(max), tcpHeader+small+"\n"+small+`</stream:stream>`)
	if err != io.EOF || len(got) != 2 {
		t.Fatalf("exact size: %d elements, %v", len(got), err)
	}
	big := `<message><body>` + strings.Repeat("x", max) + `</body></message>`
	_, err = decodeAll(t, TCPOptions(max), tcpHeader+small+big)
	var se *Error
	if !errors.As(err, &se) || se.Condition != PolicyViolation || se.App == nil || se.App.Tag != "stanza-too-big" {
		t.Fatalf("err = %#v, want policy-violation with stanza-too-big", err)
	}
	// Long white space between elements is not held in memory or counted.
	got, err = decodeAll(t, TCPOptions(max), tcpHeader+strings.Repeat(" \n", 5*max)+small+`</stream:stream>`)
	if err != io.EOF || len(got) != 1 {
		t.Fatalf("keepalives: %d elements, %v", len(got), err)
	}
}

// unboundedReader yields '<a>' then 'x' forever.
type unboundedReader struct{ sent int }

func (u *unboundedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	if u.sent == 0 {
		copy(p, tcpHeader+"<message><body>")
	}
	u.sent += len(p)
	return len(p), nil
}

func TestOversizeDetectedWhileReading(t *testing.T) {
	u := &unboundedReader{}
	d := NewDecoder(u, TCPOptions(0))
	_, err := d.Next()
	if !errors.Is(err, PolicyViolation) {
		t.Fatalf("err = %v", err)
	}
	if u.sent > DefaultMaxStanzaSize+2*readChunk+len(tcpHeader) {
		t.Fatalf("read %d bytes for a %d limit", u.sent, DefaultMaxStanzaSize)
	}
}

func TestLargeInput(t *testing.T) {
	var b strings.Builder
	b.WriteString(tcpHeader)
	const n = 5000
	for i := range n {
		b.WriteString(`<message to='romeo@example.net' id='m` + strings.Repeat("1", i%10) + `'><body>` + strings.Repeat("wherefore ", 50) + `</body></message> `)
	}
	big := `<message><body>` + strings.Repeat("y", DefaultMaxStanzaSize-100) + `</body></message>`
	b.WriteString(big)
	b.WriteString(`</stream:stream>`)
	d := NewDecoder(iotest.HalfReader(strings.NewReader(b.String())), TCPOptions(0))
	count := 0
	for {
		el, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count == n+1 && len(el.SelectElement("body").Text()) != DefaultMaxStanzaSize-100 {
			t.Fatal("large body truncated")
		}
	}
	if count != n+1 {
		t.Fatalf("count = %d", count)
	}
}

// TestResetStartTLS follows RFC 6120 §5.4.3.3: after <starttls/> the
// transport swaps the reader; nothing after the element may have been
// consumed from the plain connection.
func TestResetStartTLS(t *testing.T) {
	plain := strings.NewReader(tcpHeader + `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>TLS-CLIENT-HELLO`)
	d := NewDecoder(plain, TCPOptions(0))
	el, err := d.Next()
	if err != nil || el.Tag != "starttls" {
		t.Fatalf("%v %v", el, err)
	}
	// The decoder reads in chunks from plain, so the rest is buffered and
	// reported; a byte-at-a-time reader shows nothing was consumed past
	// the element.
	if d.Buffered() != len("TLS-CLIENT-HELLO") {
		t.Errorf("Buffered = %d", d.Buffered())
	}
	one := strings.NewReader(tcpHeader + `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>REST`)
	d = NewDecoder(iotest.OneByteReader(one), TCPOptions(0))
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(one); string(rest) != "REST" || d.Buffered() != 0 {
		t.Fatalf("consumed past <starttls/>: rest %q, buffered %d", rest, d.Buffered())
	}
	d.Reset(strings.NewReader(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='b'><iq type='get' id='1'/>`))
	h, err := d.Header()
	if err != nil || h.Attr("", "to") != "b" {
		t.Fatalf("header after reset: %+v %v", h, err)
	}
	el, err = d.Next()
	if err != nil || el.Tag != "iq" {
		t.Fatalf("after reset: %v %v", el, err)
	}
}

// TestResetSameReader: after SASL success a client may pipeline the new
// stream header (RFC 6120 §6.4.6); Reset on the same reader keeps it.
func TestResetSameReader(t *testing.T) {
	r := strings.NewReader(tcpHeader + `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>` +
		tcpHeader + `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`)
	d := NewDecoder(r, TCPOptions(0))
	el, err := d.Next()
	if err != nil || el.Tag != "auth" || el.Text() != "AGp1bGlldAByMG0zMG15cjBtMzA=" {
		t.Fatalf("%v %v", el, err)
	}
	d.Reset(r)
	el, err = d.Next()
	if err != nil || String(el) != `<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>` {
		t.Fatalf("after restart: %v %v", el, err)
	}
	if d.Header(); d.hdr.Attr("", "to") != "im.example.com" {
		t.Fatal("header not re-read")
	}
}

func TestResetAfterError(t *testing.T) {
	d := NewDecoder(strings.NewReader(tcpHeader+`<!-- -->`), TCPOptions(0))
	if _, err := d.Next(); err == nil {
		t.Fatal("no error")
	}
	d.Reset(strings.NewReader(tcpHeader + `<presence/>`))
	if el, err := d.Next(); err != nil || el.Tag != "presence" {
		t.Fatalf("%v %v", el, err)
	}
}

func TestNamespaceURIResolves(t *testing.T) {
	got, err := decodeAll(t, TCPOptions(0), tcpHeader+`<iq><p:pubsub xmlns:p='http://jabber.org/protocol/pubsub'><p:items node='n'/></p:pubsub></iq>`)
	if err != io.ErrUnexpectedEOF || len(got) != 1 {
		t.Fatal(got, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(got[0]); err != nil {
		t.Fatal(err)
	}
	items := doc.Root().FindElement("pubsub/items")
	if items == nil || items.NamespaceURI() != "http://jabber.org/protocol/pubsub" || doc.Root().NamespaceURI() != "" {
		t.Fatalf("namespaces not resolvable in %s", got[0])
	}
}

func TestWriteRoundTrip(t *testing.T) {
	in := `<message to="a@b" xml:lang="en"><body>a &amp; b &lt;c&gt;</body><x xmlns="urn:x" xmlns:e="urn:e" e:v="&quot;q&quot;"/></message>`
	got, err := decodeAll(t, TCPOptions(0), tcpHeader+in)
	if err != io.ErrUnexpectedEOF || len(got) != 1 || got[0] != in {
		t.Fatalf("got %q %v", got, err)
	}
	var buf bytes.Buffer
	el := etree.NewElement("presence")
	el.CreateText("\x00ok")
	if err := Write(&buf, el); err != nil || buf.String() != "<presence>\uFFFDok</presence>" {
		t.Fatalf("%q %v", buf.String(), err)
	}
}

// TestBOSHUndeclaredContent: children of a BOSH body that do not declare
// jabber:client are read exactly as the same XML over TCP.
func TestBOSHUndeclaredContent(t *testing.T) {
	in := `<body xmlns='http://jabber.org/protocol/httpbind'><message to='a@b'><body>hi</body><x xmlns='jabber:client'/>` +
		`<p:y xmlns:p='http://jabber.org/protocol/httpbind'/></message><iq xmlns='jabber:client'><q xmlns='http://jabber.org/protocol/httpbind'/></iq></body>`
	got, err := decodeAll(t, BOSHOptions(0), in)
	want := `<message to="a@b"><body>hi</body><x/><y/></message>|<iq><q xmlns="http://jabber.org/protocol/httpbind"/></iq>`
	if err != io.EOF || strings.Join(got, "|") != want {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestHeaderAgainAndImplicit(t *testing.T) {
	in := `<?xml version='1.0' standalone='yes'?>` + tcpHeader[21:] + `<presence/>`
	d := NewDecoder(strings.NewReader(in), TCPOptions(0))
	h1, err1 := d.Header()
	h2, err2 := d.Header()
	if err1 != nil || err2 != nil || h1.Attr("", "to") != h2.Attr("", "to") {
		t.Fatalf("%v %v", err1, err2)
	}
	if el, err := d.Next(); err != nil || el.Tag != "presence" {
		t.Fatalf("%v %v", el, err)
	}
	d = NewDecoder(strings.NewReader(in), TCPOptions(0))
	if el, err := d.Next(); err != nil || el.Tag != "presence" {
		t.Fatalf("Next without Header: %v %v", el, err)
	}
	if h, _ := d.Header(); h.Attr("", "from") != "juliet@im.example.com" {
		t.Fatalf("header %+v", h)
	}
}

func TestSelfClosingStream(t *testing.T) {
	got, err := decodeAll(t, TCPOptions(0), `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'/>`)
	if err != io.EOF || len(got) != 0 {
		t.Fatalf("%q %v", got, err)
	}
}
