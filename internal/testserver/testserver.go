// Package testserver runs the real server (the composition root, as
// `parley serve` does) in-process for end-to-end tests: on 127.0.0.1 port
// 0, with a temporary SQLite file or a fresh PostgreSQL database, the
// domain localhost, and a shutdown registered with t.Cleanup.
package testserver

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

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
)

// Domain is the XMPP domain the server serves.
const Domain = "localhost"

// IOTimeout bounds the waits of the helpers (admin requests, shutdown
// is given twice as long).
const IOTimeout = 5 * time.Second

// Server is a running app.
type Server struct {
	// App is the running composition root.
	App *app.App
	// Config is the configuration the app runs with (after the tweaks).
	Config *config.Config
}

// settings collect the options of Start.
type settings struct {
	postgres bool
	edits    []func(*config.Config)
	level    zerolog.Level
}

// Option changes how Start runs the server.
type Option func(*settings)

// Configure changes the configuration before the app starts; the
// defaults are those of config.Default with a temporary data_dir, a c2s
// and a plain HTTP listener on 127.0.0.1 port 0, no HTTPS listener and
// 4096 SCRAM iterations. Several Configure options apply in order.
func Configure(edit func(*config.Config)) Option {
	return func(s *settings) { s.edits = append(s.edits, edit) }
}

// Postgres stores in a fresh PostgreSQL database of internal/pgtest
// instead of SQLite: the test skips when no PostgreSQL is available, and
// fails under PARLEY_REQUIRE_POSTGRES=1. The test binary's TestMain must
// call pgtest.Main. Config.Storage.DSN is the database's URL.
func Postgres() Option { return func(s *settings) { s.postgres = true } }

// LogLevel sets the level of the app's log, written to the test log
// (zerolog.WarnLevel by default).
func LogLevel(l zerolog.Level) Option { return func(s *settings) { s.level = l } }

// Start runs the app until the test ends. Its listeners are bound (and
// accepting) when Start returns. At cleanup the test fails when the
// session core recovered from a panic or the shutdown failed.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	st := settings{level: zerolog.WarnLevel}
	for _, o := range opts {
		o(&st)
	}
	cfg := defaultConfig(t.TempDir())
	if st.postgres {
		cfg.Storage.Driver, cfg.Storage.DSN = "postgres", pgtest.NewDatabase(t)
	}
	for _, edit := range st.edits {
		edit(cfg)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(st.level)
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
		if n := a.Core().Panics(); n != 0 {
			t.Errorf("the server recovered from %d panics: see the log", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*IOTimeout)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &Server{App: a, Config: cfg}
}

// defaultConfig is the test configuration with its files in dir.
func defaultConfig(dir string) *config.Config {
	cfg := config.Default()
	cfg.Domains = []string{Domain}
	cfg.DataDir = dir
	cfg.Storage.Driver, cfg.Storage.DSN = "sqlite", filepath.Join(dir, "parley.db")
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	cfg.Auth.SCRAMIterations = config.MinSCRAMIterations
	return cfg
}

// Store is the app's storage.
func (s *Server) Store() storage.Store { return s.App.Store() }

// C2SAddr is the address of the first c2s listener ("" when none).
func (s *Server) C2SAddr() string {
	if addrs := s.App.C2SAddrs(); len(addrs) > 0 {
		return addrs[0].String()
	}
	return ""
}

// HTTPURL is the base URL, without a trailing slash, of the first plain
// HTTP listener, or of the first HTTPS one when there is no plain one
// ("" when there is neither).
func (s *Server) HTTPURL() string {
	addrs := s.App.HTTPAddrs() // http.listen first, then http.tls_listen
	if len(addrs) == 0 {
		return ""
	}
	if len(s.Config.HTTP.Listen) == 0 {
		return "https://" + addrs[0].String()
	}
	return "http://" + addrs[0].String()
}

// BOSHURL is the BOSH endpoint on HTTPURL.
func (s *Server) BOSHURL() string { return s.HTTPURL() + s.Config.BOSH.Path }

// TLSConfig is a client configuration that trusts the certificate the
// server generated into its data_dir, for the server name localhost.
func (s *Server) TLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(s.Config.DataDir, tlsutil.SelfSignedCert))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("cannot parse the generated certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: Domain, MinVersion: tls.VersionTLS12}
}

// AddUser creates local@localhost with password, as `parley user add`
// does.
func (s *Server) AddUser(t testing.TB, local, password string) {
	t.Helper()
	creds, err := psasl.NewCredentials(password, s.Config.Auth.SCRAMIterations)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations,
			StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := s.Store().CreateAccount(context.Background(), Domain, local, sc); err != nil {
		t.Fatal(err)
	}
}

// Befriend makes the local users a and b mutual contacts with
// subscription both, as `parley roster add A B --subscription both` run
// for both sides does.
func (s *Server) Befriend(t testing.TB, a, b string) {
	t.Helper()
	for _, p := range [][2]string{{a, b}, {b, a}} {
		contact := p[1] + "@" + Domain
		_, _, err := s.Store().UpdateRosterItem(context.Background(), Domain, p[0], contact,
			func(*storage.RosterItem) (*storage.RosterItem, error) {
				return &storage.RosterItem{Contact: contact, Subscription: storage.SubBoth}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Admin sends one request over the admin socket, as the command line
// tool does after changing storage, and returns the server's answer.
func (s *Server) Admin(t testing.TB, req admin.Request) admin.Response {
	t.Helper()
	c, err := net.Dial("unix", filepath.Join(s.Config.DataDir, admin.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(IOTimeout))
	line, _ := json.Marshal(req)
	if _, err := c.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(c)
	if !sc.Scan() {
		t.Fatalf("no admin reply: %v", sc.Err())
	}
	var resp admin.Response
	if err := json.Unmarshal(sc.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}
