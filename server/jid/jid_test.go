package jid

import (
	"errors"
	"strings"
	"testing"
)

// RFC 7622 §3.5, Table 1: legal JIDs, with their expected parts.
var validJIDs = []struct {
	n                       int
	in                      string
	local, domain, resource string
}{
	{1, "juliet@example.com", "juliet", "example.com", ""},
	{2, "juliet@example.com/foo", "juliet", "example.com", "foo"},
	{3, "juliet@example.com/foo bar", "juliet", "example.com", "foo bar"},
	{4, "juliet@example.com/foo@bar", "juliet", "example.com", "foo@bar"},
	{5, `foo\20bar@example.com`, `foo\20bar`, "example.com", ""},
	{6, "fussball@example.com", "fussball", "example.com", ""},
	{7, "fu\u00dfball@example.com", "fu\u00dfball", "example.com", ""},
	{8, "\u03c0@example.com", "\u03c0", "example.com", ""},
	{9, "\u03a3@example.com/foo", "\u03c3", "example.com", "foo"},
	{10, "\u03c3@example.com/foo", "\u03c3", "example.com", "foo"},
	{11, "\u03c2@example.com/foo", "\u03c2", "example.com", "foo"},
	{12, "king@example.com/\u265a", "king", "example.com", "\u265a"},
	{13, "example.com", "", "example.com", ""},
	{14, "example.com/foobar", "", "example.com", "foobar"},
	{15, "a.example.com/b@example.net", "", "a.example.com", "b@example.net"},
}

// RFC 7622 §3.5, Table 2: strings that are not JIDs.
var invalidJIDs = []struct {
	n    int
	in   string
	part Part
	why  error
}{
	{16, `"juliet"@example.com`, PartLocal, ErrForbidden},
	{17, "foo bar@example.com", PartLocal, ErrForbidden},
	{18, "juliet@example.com/ foo", PartResource, ErrSpace},
	{19, "@example.com/", PartLocal, ErrEmpty},
	{20, "henry\u2163@example.com", PartLocal, ErrForbidden},
	{21, "\u265a@example.com", PartLocal, ErrForbidden},
	{22, "juliet@", PartDomain, ErrNoDomain},
	{23, "/foobar", PartDomain, ErrNoDomain},
}

func TestParseRFC7622Valid(t *testing.T) {
	for _, tc := range validJIDs {
		j, err := Parse(tc.in)
		if err != nil {
			t.Errorf("example %d %q: %v", tc.n, tc.in, err)
			continue
		}
		if j.Localpart() != tc.local || j.Domainpart() != tc.domain || j.Resourcepart() != tc.resource {
			t.Errorf("example %d %q: got (%q, %q, %q)", tc.n, tc.in, j.Localpart(), j.Domainpart(), j.Resourcepart())
		}
		if again := MustParse(j.String()); again != j {
			t.Errorf("example %d: round trip %q -> %q", tc.n, j, again)
		}
	}
}

func TestParseRFC7622Invalid(t *testing.T) {
	for _, tc := range invalidJIDs {
		_, err := Parse(tc.in)
		var je *Error
		if !errors.As(err, &je) {
			t.Errorf("example %d %q: err = %v, want *Error", tc.n, tc.in, err)
			continue
		}
		if je.Part != tc.part || !errors.Is(err, tc.why) {
			t.Errorf("example %d %q: got %v (part %v), want %v in %v", tc.n, tc.in, err, je.Part, tc.why, tc.part)
		}
	}
}

// RFC 7622 §3.5: examples 9 and 10 match; 11 matches neither.
func TestSigmaComparison(t *testing.T) {
	a, b, c := MustParse("\u03a3@example.com/foo"), MustParse("\u03c3@example.com/foo"), MustParse("\u03c2@example.com/foo")
	if a != b {
		t.Errorf("%v != %v", a, b)
	}
	if a == c || b == c {
		t.Errorf("final sigma matched: %v %v %v", a, b, c)
	}
	// Comparable: usable as a map key.
	m := map[JID]int{a: 1}
	if m[b] != 1 {
		t.Error("map lookup by equivalent JID failed")
	}
}

func TestParseMore(t *testing.T) {
	long := strings.Repeat("a", 1023)
	for _, tc := range []struct{ in, want string }{
		{"Juliet@Example.COM/Balcony", "juliet@example.com/Balcony"},
		{"juliet@example.com./r", "juliet@example.com/r"},
		{"juliet@[::1]/r", "juliet@[::1]/r"},
		{"[0:0::1]", "[::1]"},
		{"a@127.0.0.1", "a@127.0.0.1"},
		{"localhost", "localhost"},
		{"xn--mnchen-3ya.de", "m\u00fcnchen.de"},
		{"M\u00dcNCHEN.de", "m\u00fcnchen.de"},
		{"\uff2a\uff35\uff2c\uff29\uff25\uff34@example.com", "juliet@example.com"},
		{"a@b/c/d", "a@b/c/d"},
		{"a@b/\u00a0x", ""}, // maps to a leading space
		{long + "@" + "example.com/" + long, long + "@example.com/" + long},
		{long + "a@example.com", ""},
		{"a@example.com/" + long + "a", ""},
		{"ch@r@cters@muc.example.com/JulieC", ""},
		{"a\uff20b@example.com", ""}, // full-width '@' maps to '@'
		{"a@exa mple.com", ""},
		{"a@example..com", ""},
		{"a@example.com..", ""},
		{"a@.", ""},
		{"a@[::1", ""},
		{"a@[1.2.3.4]", ""},
		{"a@[fe80::1%eth0]", ""},
		{"a@example.com/", ""},
		{"a@ex_ample.com", ""},
		{"a@-example.com", ""},
		{"a@b/c\x00", ""},
		{"\xffa@b", ""},
		{"", ""},
	} {
		j, err := Parse(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %q, want error", tc.in, j)
			}
			continue
		}
		if err != nil || j.String() != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, j, err, tc.want)
		}
	}
}

func TestMethods(t *testing.T) {
	j := MustParse("romeo@example.net/orchard")
	if j.IsBare() || j.IsZero() {
		t.Error("full JID reported bare or zero")
	}
	if b := j.Bare(); b.String() != "romeo@example.net" || !b.IsBare() {
		t.Errorf("Bare = %v", b)
	}
	if d := j.Domain(); d.String() != "example.net" {
		t.Errorf("Domain = %v", d)
	}
	w, err := j.WithResource("Garden")
	if err != nil || w.String() != "romeo@example.net/Garden" {
		t.Errorf("WithResource = %v, %v", w, err)
	}
	if w, _ := j.WithResource(""); w != j.Bare() {
		t.Errorf("WithResource(\"\") = %v", w)
	}
	if _, err := j.WithResource(" x"); err == nil {
		t.Error("WithResource accepted a leading space")
	}
	if _, err := (JID{}).WithResource("x"); err == nil {
		t.Error("zero JID took a resource")
	}
	var z JID
	if !z.IsZero() || z.String() != "" {
		t.Error("zero JID")
	}
	n, err := New("Romeo", "EXAMPLE.net", "orchard")
	if err != nil || n != j {
		t.Errorf("New = %v, %v", n, err)
	}
	if _, err := New("romeo", "", ""); !errors.Is(err, ErrEmpty) {
		t.Errorf("New without domain: %v", err)
	}
}

func TestText(t *testing.T) {
	j := MustParse("romeo@example.net/orchard")
	b, _ := j.MarshalText()
	var k JID
	if err := k.UnmarshalText(b); err != nil || k != j {
		t.Errorf("UnmarshalText = %v, %v", k, err)
	}
	if err := k.UnmarshalText(nil); err != nil || !k.IsZero() {
		t.Errorf("UnmarshalText(empty) = %v, %v", k, err)
	}
	if err := k.UnmarshalText([]byte("@x")); err == nil {
		t.Error("UnmarshalText accepted @x")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	MustParse("@")
}

func TestErrorString(t *testing.T) {
	_, err := Parse("\u265a@example.com")
	if s := err.Error(); !strings.HasPrefix(s, "jid: localpart: disallowed code point") {
		t.Errorf("Error() = %q", s)
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"ascii", "juliet@im.example.com/balcony"},
		{"mixedcase", "Juliet@IM.Example.com/Balcony"},
		{"unicode", "\u03a3\u03c9\u03ba\u03c1\u03ac\u03c4\u03b7\u03c2@m\u00fcnchen.example/\u265a"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestErrorStringBounded(t *testing.T) {
	_, err := Parse("a@" + strings.Repeat("\u05d0", 1000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error text of %d bytes: %v", len(err.Error()), err)
	}
}
