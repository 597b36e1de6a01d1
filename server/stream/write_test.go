package stream

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func TestOpenTag(t *testing.T) {
	got := string(OpenTag(ResponseHeader{ID: "++TR84Sm6A3hnt3Q065SnAbbk3Y=", From: "im.example.com",
		To: "juliet@im.example.com", Version: "1.0", Lang: "en"}))
	want := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'` +
		` id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' from='im.example.com' to='juliet@im.example.com' version='1.0' xml:lang='en'>`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = string(OpenTag(ResponseHeader{From: "a'b"}))
	if !strings.HasSuffix(got, ` from='a&apos;b'>`) {
		t.Errorf("escaping: %s", got)
	}
	// Our own header is accepted by our decoder.
	d := NewDecoder(strings.NewReader(got+CloseTag), TCPOptions(0))
	if h, err := d.Header(); err != nil || h.Attr("", "from") != "a'b" {
		t.Fatalf("%+v %v", h, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("close tag: %v", err)
	}
}

func TestFeatures(t *testing.T) {
	tls := etree.NewElement("starttls")
	tls.CreateAttr("xmlns", "urn:ietf:params:xml:ns:xmpp-tls")
	tls.CreateElement("required")
	got := String(Features(tls, nil))
	want := `<stream:features xmlns:stream="http://etherx.jabber.org/streams"><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := String(Features()); got != `<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>` {
		t.Errorf("empty: %s", got)
	}
}

type failWriter struct{ calls int }

func (f *failWriter) Write(p []byte) (int, error) { f.calls++; return 0, errors.New("closed") }

func TestWriteOneCallAndError(t *testing.T) {
	f := &failWriter{}
	el := decodeOne(t, `<message><body>x</body><thread>y</thread></message>`)
	if err := Write(f, el); err == nil || f.calls != 1 {
		t.Fatalf("err %v after %d calls", err, f.calls)
	}
}

func TestWriteSkipsRestrictedTokens(t *testing.T) {
	el := etree.NewElement("message")
	el.CreateComment("secret")
	el.CreateProcInst("php", "x")
	el.CreateDirective("DOCTYPE x")
	if got := String(el); got != "<message/>" {
		t.Fatalf("got %s", got)
	}
	el.CreateCData("a]]>b")
	if got := String(el); got != "<message>a]]&gt;b</message>" {
		t.Fatalf("got %s", got)
	}
}
