package sasl

import (
	"testing"
)

// FuzzSCRAMClientFirst feeds arbitrary client-first and client-final
// messages to SCRAM-SHA-256 and -PLUS; nothing may panic, every error must
// be a *Failure, and success requires the real proof.
func FuzzSCRAMClientFirst(f *testing.F) {
	f.Add([]byte(sha256ClientFirst), []byte(sha256ClientFinal), false)
	f.Add([]byte("p=tls-exporter,a=admin,n=a=2Cb,r=x,ext=1"), []byte("c=cD10bHMtZXhwb3J0ZXIsYT1hZG1pbiw=,r=x,p=AAAA"), true)
	f.Add([]byte("y,,n=user,r=abc"), []byte("c=eSws,r=abc,x=1,p=="), false)
	f.Add([]byte("n,,m=x,n=user,r=abc"), []byte(""), false)
	d := newDirectory(f)
	f.Fuzz(func(t *testing.T, first, final []byte, plus bool) {
		cfg := d.config(ChannelBinding{Type: TLSExporter, Data: []byte("ekm")})
		cfg.nonce = fixedNonce(sha256SNonce)
		name := SCRAMSHA256
		if plus {
			name = SCRAMSHA256Plus
		}
		m, err := New(name, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Step(first); err != nil {
			mustFailure(t, err)
			return
		}
		_, done, err := m.Step(final)
		if err != nil {
			mustFailure(t, err)
			return
		}
		if !done || string(first) != sha256ClientFirst || string(final) != sha256ClientFinal {
			t.Fatalf("accepted %q / %q", first, final)
		}
	})
}

// FuzzPLAIN feeds arbitrary PLAIN messages; nothing may panic and only the
// right password succeeds.
func FuzzPLAIN(f *testing.F) {
	f.Add([]byte("\x00alice\x00wonderland"))
	f.Add([]byte("admin\x00alice\x00x"))
	f.Add([]byte("\x00\x00"))
	f.Add([]byte("\xff\x00a\x00b"))
	d := newDirectory(f)
	// Cheap credentials keep the fuzzer fast.
	c, err := Derive(SHA256, "wonderland", []byte("salt"), 1)
	if err != nil {
		f.Fatal(err)
	}
	d.users["alice"] = []Credentials{c}
	f.Fuzz(func(t *testing.T, msg []byte) {
		cfg := d.config()
		cfg.Iterations = 1
		m, _ := New(PLAIN, cfg)
		_, done, err := m.Step(msg)
		if err != nil {
			mustFailure(t, err)
			return
		}
		if a, _ := m.Identity(); !done || a != "alice" {
			t.Fatalf("accepted %q as %q", msg, a)
		}
	})
}

func mustFailure(t *testing.T, err error) {
	t.Helper()
	if f, ok := err.(*Failure); !ok || f.Condition == "" {
		t.Fatalf("error %v (%T) is not a *Failure", err, err)
	}
}
