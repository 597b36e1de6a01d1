package sasl

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// RFC 5802 §5 and RFC 7677 §3 examples.
const (
	rfcUser     = "user"
	rfcPassword = "pencil"

	sha1Salt        = "QSXCR+Q6sek8bf92"
	sha1ClientFirst = "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
	sha1SNonce      = "3rfcNHYJY1ZVvWVs7j"
	sha1ServerFirst = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
	sha1ClientFinal = "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
	sha1ServerFinal = "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

	sha256Salt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	sha256ClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	sha256SNonce      = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	sha256ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	sha256ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	sha256ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

func mustB64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rfcCreds derives the credentials of the RFC examples.
func rfcCreds(t testing.TB) []Credentials {
	t.Helper()
	c1, err := Derive(SHA1, rfcPassword, mustB64(t, sha1Salt), 4096)
	if err != nil {
		t.Fatal(err)
	}
	c256, err := Derive(SHA256, rfcPassword, mustB64(t, sha256Salt), 4096)
	if err != nil {
		t.Fatal(err)
	}
	return []Credentials{c256, c1}
}

func TestDeriveRFCVectors(t *testing.T) {
	creds := rfcCreds(t)
	// ServerKey as the RFC 5802 §5 server signature implies it, checked
	// through the full exchange in TestSCRAMRFCVectors; here the shapes.
	for _, c := range creds {
		size := hashFunc(c.Hash)().Size()
		if len(c.StoredKey) != size || len(c.ServerKey) != size || c.Iterations != 4096 {
			t.Fatalf("%s: bad shape %+v", c.Hash, c)
		}
		if !VerifyPlain(c, rfcPassword) {
			t.Errorf("%s: VerifyPlain(pencil) = false", c.Hash)
		}
		for _, wrong := range []string{"Pencil", "pencil ", "", "pencil\x00"} {
			if VerifyPlain(c, wrong) {
				t.Errorf("%s: VerifyPlain(%q) = true", c.Hash, wrong)
			}
		}
	}
}

func TestDeriveErrors(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, tc := range []struct {
		hash, pw string
		salt     []byte
		iter     int
	}{
		{"MD5", "pw", salt, 4096},
		{SHA256, "pw", salt, 0},
		{SHA256, "pw", nil, 4096},
		{SHA256, "", salt, 4096},
		{SHA256, "bad\u0007control", salt, 4096},
	} {
		if _, err := Derive(tc.hash, tc.pw, tc.salt, tc.iter); err == nil {
			t.Errorf("Derive(%q, %q, %x, %d) succeeded", tc.hash, tc.pw, tc.salt, tc.iter)
		}
	}
}

// TestDerivePRECIS: OpaqueString maps non-ASCII spaces to U+0020 and
// applies NFC, so equivalent spellings of a password verify alike.
func TestDerivePRECIS(t *testing.T) {
	c, err := Derive(SHA256, "caf\u00e9\u00a0x", []byte("salt"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPlain(c, "cafe\u0301 x") {
		t.Error("decomposed spelling with a plain space does not verify")
	}
}

func TestNewCredentials(t *testing.T) {
	creds, err := NewCredentials("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 2 || creds[0].Hash != SHA256 || creds[1].Hash != SHA1 {
		t.Fatalf("hashes = %+v", creds)
	}
	if bytes.Equal(creds[0].Salt, creds[1].Salt) || len(creds[0].Salt) != 16 {
		t.Errorf("salts not fresh 16-byte values: %x %x", creds[0].Salt, creds[1].Salt)
	}
	for _, c := range creds {
		if c.Iterations != DefaultIterations || !VerifyPlain(c, "secret") || VerifyPlain(c, "Secret") {
			t.Errorf("%s: %+v", c.Hash, c)
		}
	}
	again, _ := NewCredentials("secret", 4097)
	if bytes.Equal(again[0].Salt, creds[0].Salt) || again[0].Iterations != 4097 {
		t.Error("salt reused or iterations ignored")
	}
}

func TestVerifyPlainBadCredentials(t *testing.T) {
	c := rfcCreds(t)[0]
	for _, mod := range []func(*Credentials){
		func(c *Credentials) { c.Hash = "SHA-512" },
		func(c *Credentials) { c.StoredKey = nil },
		func(c *Credentials) { c.Iterations = 0 },
		func(c *Credentials) { c.StoredKey = c.StoredKey[:10] },
	} {
		bad := c
		mod(&bad)
		if VerifyPlain(bad, rfcPassword) {
			t.Errorf("VerifyPlain accepted %+v", bad)
		}
	}
}

func TestDecoyDeterministic(t *testing.T) {
	a, b := decoy(SHA256, "nobody", 0), decoy(SHA256, "nobody", 0)
	if !bytes.Equal(a.Salt, b.Salt) || !bytes.Equal(a.StoredKey, b.StoredKey) {
		t.Error("decoy differs between calls")
	}
	if c := decoy(SHA256, "other", 0); bytes.Equal(a.Salt, c.Salt) {
		t.Error("decoy salt independent of username")
	}
	if c := decoy(SHA1, "nobody", 10000); len(c.StoredKey) != 20 || c.Iterations != 10000 {
		t.Errorf("SHA-1 decoy: %+v", c)
	}
}
