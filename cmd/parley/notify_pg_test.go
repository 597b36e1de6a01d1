package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/server/tlsutil"
)

// startServer runs the server in-process on loopback with the PostgreSQL
// database dsn and its own data directory.
func startServer(t *testing.T, dsn string) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Storage.Driver, cfg.Storage.DSN = "postgres", dsn
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// connect logs user@localhost in over STARTTLS with SCRAM-SHA-256 and
// returns a channel that receives the end of its stream.
func connect(t *testing.T, a *app.App, user, password string) <-chan error {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(a.Config().DataDir, tlsutil.SelfSignedCert))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := net.Dial("tcp", a.C2SAddrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := xmpp.NewClientSession(ctx, jid.MustParse(user+"@localhost"), conn,
		xmpp.StartTLS(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}),
		xmpp.SASL("", password, sasl.ScramSha256),
		xmpp.BindResource(),
	)
	if err != nil {
		conn.Close()
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { s.Close() })
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(xmpp.HandlerFunc(func(xmlstream.TokenReadEncoder, *xml.StartElement) error { return nil }))
	}()
	return done
}

// expectEnd waits at most 2 s for a stream to end (issue: admin changes
// end live sessions within 2 seconds).
func expectEnd(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Logf("%s: stream ended (%v)", what, err)
	case <-time.After(2 * time.Second):
		t.Fatalf("%s: still connected 2 s later", what)
	}
}

// TestPostgresLiveAdmin runs `user del` and `user passwd` against a server
// that shares only the PostgreSQL database with the CLI: the CLI's data
// directory has no admin socket, so LISTEN/NOTIFY alone carries the kick.
// With the socket present too the server is told twice, harmlessly.
func TestPostgresLiveAdmin(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	t.Setenv("PARLEY_CONFIG", "")
	cli := writeConfig(t, t.TempDir(), fmt.Sprintf("domains = [\"localhost\"]\ndata_dir = %q\n[storage]\ndriver = \"postgres\"\ndsn = %q\n", t.TempDir(), dsn))
	mustRun(t, "pw\n", "user", "add", "--config", cli, "--password-stdin", "alice@localhost")
	mustRun(t, "pw\n", "user", "add", "--config", cli, "--password-stdin", "bob@localhost")
	a := startServer(t, dsn)

	done := connect(t, a, "alice", "pw")
	mustRun(t, "", "user", "del", "--config", cli, "alice@localhost")
	expectEnd(t, done, "user del, no socket")

	// Same data directory as the server: socket and notification both.
	both := writeConfig(t, t.TempDir(), fmt.Sprintf("domains = [\"localhost\"]\ndata_dir = %q\n[storage]\ndriver = \"postgres\"\ndsn = %q\n", a.Config().DataDir, dsn))
	done = connect(t, a, "bob", "pw")
	mustRun(t, "new\n", "user", "passwd", "--config", both, "--password-stdin", "bob@localhost")
	expectEnd(t, done, "user passwd, socket and notification")
	connect(t, a, "bob", "new") // the server still serves, with the new password
	if n := a.Core().Panics(); n != 0 {
		t.Fatalf("%d panics", n)
	}
}
