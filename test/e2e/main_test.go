// Package e2e runs the real server in-process on random loopback ports and
// drives it with a third-party client library (mellium.im/xmpp).
package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
	"github.com/rs/zerolog"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// server is a running app.
type server struct {
	t   *testing.T
	app *app.App
	cfg *config.Config
}

// start runs the app on 127.0.0.1 port 0 with a temp SQLite file, or with
// the PostgreSQL database dsn when set.
func start(t *testing.T, pgDSN string, edit func(*config.Config)) *server {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Domains = []string{"localhost"}
	cfg.DataDir = dir
	cfg.Storage.Driver, cfg.Storage.DSN = "sqlite", filepath.Join(dir, "parley.db")
	if pgDSN != "" {
		cfg.Storage.Driver, cfg.Storage.DSN = "postgres", pgDSN
	}
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	cfg.Auth.SCRAMIterations = 4096
	if edit != nil {
		edit(cfg)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	ctx := context.Background()
	a, err := app.New(ctx, cfg, log)
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
	return &server{t: t, app: a, cfg: cfg}
}

// addr is the first c2s listener.
func (s *server) addr() string { return s.app.C2SAddrs()[0].String() }

// tlsConfig trusts the server's generated self-signed certificate.
func (s *server) tlsConfig() *tls.Config {
	s.t.Helper()
	pem, err := os.ReadFile(filepath.Join(s.cfg.DataDir, tlsutil.SelfSignedCert))
	if err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		s.t.Fatal("cannot parse the generated certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// addUser creates local@localhost as `parley user add` does.
func (s *server) addUser(local, password string) {
	s.t.Helper()
	creds, err := psasl.NewCredentials(password, s.cfg.Auth.SCRAMIterations)
	if err != nil {
		s.t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := s.app.Store().CreateAccount(context.Background(), "localhost", local, sc); err != nil {
		s.t.Fatal(err)
	}
}

// adminKick sends a kick over the admin socket, as the CLI does after it
// changed storage.
func (s *server) adminKick(user, reason string) admin.Response {
	s.t.Helper()
	c, err := net.Dial("unix", filepath.Join(s.cfg.DataDir, admin.SocketName))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, _ := json.Marshal(admin.Request{Op: "kick", JID: user, Reason: reason})
	if _, err := c.Write(append(line, '\n')); err != nil {
		s.t.Fatal(err)
	}
	var resp admin.Response
	sc := bufio.NewScanner(c)
	if !sc.Scan() {
		s.t.Fatalf("no admin reply: %v", sc.Err())
	}
	if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
		s.t.Fatal(err)
	}
	return resp
}
