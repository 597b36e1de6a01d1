package server

import (
	"bytes"
	"crypto/tls"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/server/tlsutil"
)

// TestEndPointHashCached checks that the core's tls-server-end-point hash
// is that of the certificate it is asked about, whichever it saw before.
func TestEndPointHashCached(t *testing.T) {
	c := newCore(t, Options{}, nil)
	var ders [][]byte
	for _, d := range []string{"a.example", "b.example"} {
		certPEM, keyPEM, err := tlsutil.SelfSigned([]string{d}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, cert.Certificate[0])
	}
	if c.endPointHash(nil) != nil {
		t.Fatal("hash of no certificate")
	}
	for _, der := range [][]byte{ders[0], ders[0], ders[1], ders[0], bytes.Clone(ders[1])} {
		want := endPointHash(der)
		if got := c.endPointHash(der); want == nil || !bytes.Equal(got, want) {
			t.Fatalf("endPointHash = %x, want %x", got, want)
		}
	}
}
