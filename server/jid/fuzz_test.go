package jid

import (
	"strings"
	"testing"

	"golang.org/x/text/secure/precis"
)

// FuzzParse checks that parsing never panics and that a parsed JID survives
// String and Parse unchanged, and that its parts stay within RFC 7622 limits.
func FuzzParse(f *testing.F) {
	for _, tc := range validJIDs {
		f.Add(tc.in)
	}
	for _, tc := range invalidJIDs {
		f.Add(tc.in)
	}
	f.Add("juliet@[::1]/r")
	f.Add("xn--mnchen-3ya.de")
	f.Fuzz(func(t *testing.T, s string) {
		j, err := Parse(s)
		if err != nil {
			return
		}
		str := j.String()
		k, err := Parse(str)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, reparse failed: %v", s, str, err)
		}
		if k != j {
			t.Fatalf("Parse(%q) = %#v, reparse of %q = %#v", s, j, str, k)
		}
		for _, p := range []string{j.local, j.domain, j.resource} {
			if len(p) > maxPart {
				t.Fatalf("part of %d octets", len(p))
			}
		}
		if j.domain == "" {
			t.Fatal("empty domainpart")
		}
	})
}

// FuzzASCIIFastPaths checks the printable-ASCII shortcuts against the full
// PRECIS and IDNA processing they stand in for.
func FuzzASCIIFastPaths(f *testing.F) {
	f.Add("Juliet")
	f.Add("example.COM")
	f.Add("ab--cd.example")
	f.Fuzz(func(t *testing.T, s string) {
		if out, ok := asciiLocal(s); ok {
			want, err := precis.UsernameCaseMapped.String(s)
			if err != nil || want != out {
				t.Fatalf("local %q: fast %q, precis %q %v", s, out, want, err)
			}
		}
		if isPrintableASCII(s) && s != "" {
			want, err := precis.OpaqueString.String(s)
			if err != nil || want != s {
				t.Fatalf("resource %q: precis %q %v", s, want, err)
			}
		}
		if out, ok := asciiDomain(s); ok {
			want, err := domainProfile.ToUnicode(s)
			if _, err2 := domainProfile.ToASCII(s); err != nil || err2 != nil || want != out {
				t.Fatalf("domain %q: fast %q, idna %q %v %v", s, out, want, err, err2)
			}
		}
	})
}

// TestASCIIFastPathsExhaustive covers every string of one or two printable
// ASCII bytes.
func TestASCIIFastPathsExhaustive(t *testing.T) {
	var b strings.Builder
	for c := byte(0x20); c < 0x7f; c++ {
		for d := byte(0x1f); d < 0x7f; d++ {
			b.Reset()
			b.WriteByte(c)
			if d >= 0x20 {
				b.WriteByte(d)
			}
			s := b.String()
			if out, ok := asciiLocal(s); ok {
				if want, err := precis.UsernameCaseMapped.String(s); err != nil || want != out {
					t.Errorf("local %q: fast %q, precis %q %v", s, out, want, err)
				}
			}
			if out, ok := asciiDomain(s); ok {
				if want, err := domainProfile.ToUnicode(s); err != nil || want != out {
					t.Errorf("domain %q: fast %q, idna %q %v", s, out, want, err)
				}
			}
		}
	}
}
