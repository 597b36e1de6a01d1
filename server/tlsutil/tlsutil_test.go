package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadGeneratesOnceAndReuses(t *testing.T) {
	dir := t.TempDir()
	cert, generated, err := Load("", "", dir, []string{"example.org", "localhost"})
	if err != nil || !generated {
		t.Fatalf("first load: generated=%v err=%v", generated, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	for _, d := range []string{"example.org", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: d, Roots: pool}); err != nil {
			t.Errorf("certificate does not verify for %s: %v", d, err)
		}
	}
	fi, err := os.Stat(filepath.Join(dir, SelfSignedKey))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, fi.Mode())
	}

	again, generated, err := Load("", "", dir, []string{"localhost"})
	if err != nil || generated {
		t.Fatalf("second load: generated=%v err=%v", generated, err)
	}
	if string(again.Certificate[0]) != string(cert.Certificate[0]) {
		t.Fatal("second load made a new certificate for domains the first covers")
	}

	// A domain the stored certificate lacks makes a new one.
	if _, generated, err = Load("", "", dir, []string{"chat.example.net"}); err != nil || !generated {
		t.Fatalf("load for a new domain: generated=%v err=%v", generated, err)
	}
}

func TestLoadConfiguredFiles(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := SelfSigned([]string{"example.org"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cp, kp := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(cp, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kp, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, generated, err := Load(cp, kp, dir, []string{"example.org"}); err != nil || generated {
		t.Fatalf("configured files: generated=%v err=%v", generated, err)
	}
	if _, err := os.Stat(filepath.Join(dir, SelfSignedCert)); !os.IsNotExist(err) {
		t.Fatal("a self-signed certificate was written although one is configured")
	}
	if _, _, err := Load(filepath.Join(dir, "missing.pem"), kp, dir, nil); err == nil {
		t.Fatal("a missing configured certificate was accepted")
	}
	if _, _, err := Load(kp, cp, dir, nil); err == nil {
		t.Fatal("swapped certificate and key were accepted")
	}
}

func TestServerConfigTLS12Minimum(t *testing.T) {
	cert, _, err := Load("", "", t.TempDir(), []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	c := ServerConfig(cert)
	if c.MinVersion < tls.VersionTLS12 || len(c.Certificates) != 1 {
		t.Fatalf("server config: min version %#x, %d certificates", c.MinVersion, len(c.Certificates))
	}
}
