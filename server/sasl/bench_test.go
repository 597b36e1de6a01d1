package sasl

import "testing"

// BenchmarkSCRAMSHA256Login measures the server side of one complete
// SCRAM-SHA-256 login with stored credentials: parsing, the lookup, and the
// proof check (one HMAC and one hash) plus the server signature.
func BenchmarkSCRAMSHA256Login(b *testing.B) {
	d := newDirectory(b)
	cfg := d.config()
	cfg.nonce = fixedNonce(sha256SNonce)
	first, final := []byte(sha256ClientFirst), []byte(sha256ClientFinal)
	b.ReportAllocs()
	for b.Loop() {
		m, _ := New(SCRAMSHA256, cfg)
		if _, _, err := m.Step(first); err != nil {
			b.Fatal(err)
		}
		if _, done, err := m.Step(final); err != nil || !done {
			b.Fatal(done, err)
		}
	}
}

// BenchmarkVerifyPlain measures one PLAIN verification against SHA-256
// credentials of 4096 iterations (a PBKDF2 run).
func BenchmarkVerifyPlain(b *testing.B) {
	c := rfcCreds(b)[0]
	for b.Loop() {
		if !VerifyPlain(c, rfcPassword) {
			b.Fatal("VerifyPlain failed")
		}
	}
}
