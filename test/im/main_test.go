// Package im runs the instant messaging scenarios of RFC 6121 end to end:
// the real server in-process on random loopback ports, driven over TCP
// with STARTTLS by a third-party client library (mellium.im/xmpp).
package im

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// wait bounds every wait for the server.
const wait = 5 * time.Second

// srv is a running server.
type srv struct {
	t       *testing.T
	app     *app.App
	store   storage.Store
	addr    string // c2s
	boshURL string // BOSH over HTTPS
	tls     *tls.Config
	// via names the transport of a user's logins ("bosh"; TCP otherwise).
	via map[string]string
	// vanish makes a BOSH client stop polling without terminating.
	vanish map[*client]func()

	mu     sync.Mutex               // guards ending
	ending map[string]chan struct{} // full JID → closed when its session ended
}

// start runs the real server (the composition root, as `parley serve`
// does) on 127.0.0.1 port 0 with a temporary SQLite file, or with the
// PostgreSQL database pgDSN when set.
func start(t *testing.T, pgDSN string) *srv { return startWith(t, pgDSN, nil) }

// startWith is start with a change of the configuration.
func startWith(t *testing.T, pgDSN string, edit func(*config.Config)) *srv {
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
	cfg.HTTP.Listen = []string{}
	cfg.HTTP.TLSListen = []string{"127.0.0.1:0"}
	cfg.Auth.SCRAMIterations = 4096
	if edit != nil {
		edit(cfg)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
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
	pem, err := os.ReadFile(filepath.Join(dir, tlsutil.SelfSignedCert))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	s := &srv{t: t, app: a, store: a.Store(), addr: a.C2SAddrs()[0].String(),
		boshURL: "https://" + a.HTTPAddrs()[0].String() + cfg.BOSH.Path,
		tls:     &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		via:     map[string]string{}, vanish: map[*client]func(){}, ending: map[string]chan struct{}{}}
	// Registered after start, before any client: the hooks run after
	// the IM ones, once the session's unavailable presence went out.
	a.Core().OnSessionEnd(func(sess *server.Session, _ error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ch, ok := s.ending[sess.JID().String()]; ok {
			close(ch)
			delete(s.ending, sess.JID().String())
		}
	})
	return s
}

// user creates local@localhost.
func (s *srv) user(local string) { imtest.AddUser(s.t, s.store, local) }

// admin sends one request over the admin socket, as the command line
// tool does after changing storage.
func (s *srv) admin(req admin.Request) admin.Response {
	s.t.Helper()
	c, err := net.Dial("unix", filepath.Join(s.app.Config().DataDir, admin.SocketName))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	line, _ := json.Marshal(req)
	if _, err := c.Write(append(line, '\n')); err != nil {
		s.t.Fatal(err)
	}
	var resp admin.Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		s.t.Fatal(err)
	}
	if !resp.OK {
		s.t.Fatalf("admin %+v: %+v", req, resp)
	}
	return resp
}
