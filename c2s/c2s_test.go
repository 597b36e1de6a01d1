package c2s

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage/sqlite"
	"github.com/rs/zerolog"
)

func startServer(t *testing.T, cfg Config, requireTLS bool) *Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c2s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	core := server.NewCore(st, server.Options{Domains: []string{"localhost"}, RequireTLS: requireTLS, Logger: zerolog.Nop()})
	cert, _, err := tlsutil.Load("", "", t.TempDir(), []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = tlsutil.ServerConfig(cert)
	cfg.Listen = []string{"127.0.0.1:0"}
	cfg.Logger = zerolog.Nop()
	srv := New(core, cfg)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// raw is a plain TCP client reading the server's output.
type raw struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	seen strings.Builder
}

func dialRaw(t *testing.T, srv *Server) *raw {
	c, err := net.Dial("tcp", srv.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &raw{t: t, conn: c, r: bufio.NewReader(c)}
}

func (r *raw) write(s string) {
	r.t.Helper()
	if _, err := r.conn.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor reads until the output contains want.
func (r *raw) waitFor(want string) {
	r.t.Helper()
	buf := make([]byte, 4096)
	for !strings.Contains(r.seen.String(), want) {
		n, err := r.r.Read(buf)
		r.seen.Write(buf[:n])
		if err != nil {
			r.t.Fatalf("waiting for %q: %v; got %s", want, err, r.seen.String())
		}
	}
}

const open = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"

func TestStartTLSRequired(t *testing.T) {
	srv := startServer(t, Config{}, true)
	c := dialRaw(t, srv)
	c.write(open)
	c.waitFor("<required/></starttls>")
	if strings.Contains(c.seen.String(), "mechanisms") {
		t.Fatalf("mechanisms offered before TLS: %s", c.seen.String())
	}
	c.write("  \n ") // whitespace keepalives are fine
	c.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	c.waitFor("<proceed")
	tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true}) // test only: self-signed
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if v := tc.ConnectionState().Version; v < tls.VersionTLS12 {
		t.Fatalf("TLS version %x", v)
	}
	c.r, c.seen = bufio.NewReader(tc), strings.Builder{}
	if _, err := tc.Write([]byte(open)); err != nil {
		t.Fatal(err)
	}
	c.waitFor("SCRAM-SHA-256")
	if !strings.Contains(c.seen.String(), "SCRAM-SHA-256-PLUS") {
		t.Errorf("no channel binding offered over TLS: %s", c.seen.String())
	}
}

func TestHandshakeTimeout(t *testing.T) {
	srv := startServer(t, Config{HandshakeTimeout: 100 * time.Millisecond}, true)
	c := dialRaw(t, srv)
	c.write(open)
	c.waitFor("<connection-timeout")
	c.waitFor("</stream:stream>")
}

func TestBadHeader(t *testing.T) {
	srv := startServer(t, Config{}, true)
	c := dialRaw(t, srv)
	c.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='elsewhere.example' version='1.0'>")
	c.waitFor("<host-unknown")
	c.waitFor("</stream:stream>")
	c = dialRaw(t, srv)
	c.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'><!-- no -->")
	c.waitFor("<restricted-xml")
}

func TestShutdown(t *testing.T) {
	srv := startServer(t, Config{}, true)
	c := dialRaw(t, srv)
	c.write(open)
	c.waitFor("</stream:features>")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go srv.Shutdown(ctx)
	c.waitFor("<system-shutdown")
	c.waitFor("</stream:stream>")
}
