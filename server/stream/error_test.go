package stream

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// decodeOne decodes a single first-level element of a TCP stream.
func decodeOne(t *testing.T, xml string) *etree.Element {
	t.Helper()
	d := NewDecoder(strings.NewReader(tcpHeader+xml), TCPOptions(0))
	el, err := d.Next()
	if err != nil {
		t.Fatalf("decoding %q: %v", xml, err)
	}
	return el
}

// canonical serialises el without white-space-only text and with trimmed
// text, so that indented RFC examples compare with compact output.
func canonical(el *etree.Element) string {
	el = el.Copy()
	var trim func(*etree.Element)
	trim = func(e *etree.Element) {
		for _, c := range append([]etree.Token(nil), e.Child...) {
			switch c := c.(type) {
			case *etree.CharData:
				if strings.TrimSpace(c.Data) == "" {
					e.RemoveChild(c)
				} else {
					c.Data = strings.TrimSpace(c.Data)
				}
			case *etree.Element:
				trim(c)
			}
		}
	}
	trim(el)
	return String(el)
}

// TestRFCExamples parses every stream error example of RFC 6120 §4.9.3
// and §4.9.4, and checks that Element produces the same XML; the exact
// output is kept in testdata/golden.
func TestRFCExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/rfc6120/*.xml")
	if len(files) != len(Conditions)+1 {
		t.Fatalf("%d examples for %d conditions", len(files), len(Conditions))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rfc := decodeOne(t, string(raw))
			e := ParseError(rfc)
			want := Condition(name)
			if name == "app-specific" {
				want = NotWellFormed
				if e.Text != "Some special application diagnostic information!" || e.Lang != "en" ||
					e.App == nil || e.App.Tag != "escape-your-data" || e.App.NamespaceURI() != "http://example.org/ns" {
					t.Errorf("parsed %+v", e)
				}
			}
			if e.Condition != want {
				t.Fatalf("condition %q, want %q", e.Condition, want)
			}
			if want == SeeOtherHost && e.Host != "[2001:41D0:1:A49b::1]:9222" {
				t.Errorf("host %q", e.Host)
			}
			out := Marshal(e.Element())
			if got, want := canonical(decodeOne(t, string(out))), canonical(rfc); got != want {
				t.Errorf("Element() = %s\n   RFC = %s", got, want)
			}
			golden := filepath.Join("testdata", "golden", name+".xml")
			if *update {
				_ = os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSuffix(string(g), "\n") != string(out) {
				t.Errorf("Element() = %s\n golden = %s", out, g)
			}
		})
	}
}

func TestErrorElement(t *testing.T) {
	e := &Error{Condition: SeeOtherHost, Host: "example.net:5222", Text: "go <there>", Lang: "en"}
	want := `<stream:error xmlns:stream="http://etherx.jabber.org/streams">` +
		`<see-other-host xmlns="urn:ietf:params:xml:ns:xmpp-streams">example.net:5222</see-other-host>` +
		`<text xmlns="urn:ietf:params:xml:ns:xmpp-streams" xml:lang="en">go &lt;there&gt;</text></stream:error>`
	if got := String(e.Element()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := String((&Error{}).Element()); !strings.Contains(got, "<undefined-condition ") {
		t.Errorf("empty condition: %s", got)
	}
}

func TestErrorRoundTrip(t *testing.T) {
	app := etree.NewElement("stanza-too-big")
	app.CreateAttr("xmlns", NSXMPPErrors)
	for _, c := range Conditions {
		e := &Error{Condition: c, Text: "why", Lang: "en", App: app}
		if c == SeeOtherHost {
			e.Host = "[::1]:5222"
		}
		for _, el := range []*etree.Element{e.Element(), decodeOne(t, String(e.Element()))} {
			got := ParseError(el)
			if got.Condition != c || got.Text != "why" || got.Lang != "en" || got.Host != e.Host ||
				got.App == nil || String(got.App) != String(app) {
				t.Errorf("%s: round trip %+v", c, got)
			}
		}
	}
}

func TestParseErrorUnknown(t *testing.T) {
	el := decodeOne(t, `<stream:error><future-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`)
	if e := ParseError(el); e.Condition != UndefinedCondition {
		t.Errorf("unknown condition = %q", e.Condition)
	}
	el = decodeOne(t, `<stream:error/>`)
	if e := ParseError(el); e.Condition != UndefinedCondition {
		t.Errorf("no condition = %q", e.Condition)
	}
	if ParseError(nil) != nil || ParseError(etree.NewElement("message")) != nil {
		t.Error("non-error element parsed")
	}
}

func TestErrorIs(t *testing.T) {
	var err error = NewError(Conflict, "replaced")
	if !errors.Is(err, Conflict) || !errors.Is(err, &Error{Condition: Conflict}) || errors.Is(err, Reset) {
		t.Error("Is")
	}
	if got := err.Error(); got != "stream error: conflict: replaced" {
		t.Errorf("Error() = %q", got)
	}
	if !(&Error{}).Is(UndefinedCondition) {
		t.Error("empty condition is undefined-condition")
	}
	for _, c := range Conditions {
		if !c.Known() {
			t.Errorf("%s not known", c)
		}
	}
	if Condition("xml-not-well-formed").Known() {
		t.Error("RFC 3920 name known")
	}
}
