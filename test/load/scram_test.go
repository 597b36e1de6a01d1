package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"testing"
)

// TestSCRAMVectors runs the client against the exchanges of RFC 5802 §5
// (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256).
func TestSCRAMVectors(t *testing.T) {
	cases := []struct {
		name                                           string
		h                                              func() hash.Hash
		cnonce, first, serverFirst, final, serverFinal string
	}{
		{
			name:        "RFC 5802",
			h:           sha1.New,
			cnonce:      "fyko+d2lbbFgONRv9qkxdawL",
			first:       "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
			serverFirst: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			final:       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			serverFinal: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		},
		{
			name:        "RFC 7677",
			h:           sha256.New,
			cnonce:      "rOprNGfwEbeRWgbNEkqO",
			first:       "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
			serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			final:       "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newSCRAM(tc.h, "user", "pencil", tc.cnonce)
			first, err := c.Start()
			if err != nil || string(first) != tc.first {
				t.Fatalf("Start = %q, %v; want %q", first, err, tc.first)
			}
			final, err := c.Next([]byte(tc.serverFirst))
			if err != nil || string(final) != tc.final {
				t.Fatalf("Next = %q, %v; want %q", final, err, tc.final)
			}
			if err := c.Verify([]byte(tc.serverFinal)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := c.Verify([]byte("v=AAAA")); err == nil {
				t.Fatal("Verify accepted a wrong server signature")
			}
		})
	}
}

func TestSCRAMRejects(t *testing.T) {
	bad := []string{
		"r=other,s=QSXCR+Q6sek8bf92,i=4096",        // nonce not ours
		"r=abc,s=QSXCR+Q6sek8bf92,i=4096",          // nonce not extended
		"r=abcdef,s=!!,i=4096",                     // bad salt
		"r=abcdef,s=QSXCR+Q6sek8bf92,i=0",          // bad count
		"m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096", // mandatory extension
	}
	for _, sf := range bad {
		c := newSCRAM(sha1.New, "user", "pencil", "abc")
		c.Start()
		if _, err := c.Next([]byte(sf)); err == nil {
			t.Errorf("Next(%q) accepted", sf)
		}
	}
}

func TestSASLName(t *testing.T) {
	if got := saslName("a=b,c"); got != "a=3Db=2Cc" {
		t.Fatalf("saslName = %q", got)
	}
}

func TestPlain(t *testing.T) {
	c, err := newSASL(mechPLAIN, "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Start()
	if string(b) != "\x00u\x00p" {
		t.Fatalf("PLAIN = %q", b)
	}
	if _, err := newSASL("DIGEST-MD5", "u", "p"); err == nil {
		t.Fatal("unknown mechanism accepted")
	}
}
