package c2s

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/storage"
)

// dialDirect connects to the direct TLS listener (XEP-0368) and completes
// the TLS handshake.
func dialDirect(t *testing.T, srv *Server) *raw {
	t.Helper()
	addr := srv.Addrs()[1].String()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) // test only: self-signed
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &raw{t: t, conn: c, r: bufio.NewReader(c)}
}

// TestDirectTLS logs in on the direct TLS port: no STARTTLS is offered,
// channel binding is, and PLAIN works with require_tls since the stream
// is encrypted from the first byte.
func TestDirectTLS(t *testing.T) {
	srv := startServer(t, Config{DirectTLSListen: []string{"127.0.0.1:0"}}, true)
	creds, err := sasl.NewCredentials("pw", 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := srv.core.Store().CreateAccount(t.Context(), "localhost", "alice", sc); err != nil {
		t.Fatal(err)
	}
	c := dialDirect(t, srv)
	c.write(open)
	c.waitFor("</stream:features>")
	feats := c.seen.String()
	if strings.Contains(feats, "starttls") {
		t.Fatalf("STARTTLS offered on a TLS stream: %s", feats)
	}
	for _, m := range []string{"SCRAM-SHA-256-PLUS", "<mechanism>PLAIN</mechanism>"} {
		if !strings.Contains(feats, m) {
			t.Fatalf("%s not offered: %s", m, feats)
		}
	}
	c.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00alice\x00pw")) + "</auth>")
	c.waitFor("<success")
	c.write(open)
	c.waitFor("urn:ietf:params:xml:ns:xmpp-bind")
	c.write("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
	c.waitFor("<jid>alice@localhost/")
	c.write("</stream:stream>")
	c.waitFor("</stream:stream>")
}

// TestDirectTLSBadClients checks that a plaintext client and a silent one
// on the direct TLS port are dropped and the listener keeps serving.
func TestDirectTLSBadClients(t *testing.T) {
	srv := startServer(t, Config{DirectTLSListen: []string{"127.0.0.1:0"}, HandshakeTimeout: 200 * time.Millisecond}, true)
	addr := srv.Addrs()[1].String()
	for _, send := range []string{open, ""} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(nc, send)
		if _, err := io.Copy(io.Discard, nc); err != nil {
			t.Fatalf("after %q: %v, want the server to close", send, err)
		}
		nc.Close()
	}
	c := dialDirect(t, srv)
	c.write(open)
	c.waitFor("</stream:features>")
}
