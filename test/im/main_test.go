// Package im runs the instant messaging scenarios of RFC 6121 end to end:
// the real server in-process on random loopback ports, driven over TCP
// with STARTTLS by a third-party client library (mellium.im/xmpp).
package im

import (
	"crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// wait bounds every wait for the server.
const wait = 5 * time.Second

// srv is a running server.
type srv struct {
	*testserver.Server
	t       *testing.T
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
// does) on 127.0.0.1 port 0 with a temporary SQLite file (or PostgreSQL
// with testserver.Postgres), c2s and HTTPS only.
func start(t *testing.T, opts ...testserver.Option) *srv {
	t.Helper()
	https := testserver.Configure(func(cfg *config.Config) {
		cfg.HTTP.Listen, cfg.HTTP.TLSListen = []string{}, []string{"127.0.0.1:0"}
	})
	ts := testserver.Start(t, append([]testserver.Option{https}, opts...)...)
	s := &srv{Server: ts, t: t, boshURL: ts.BOSHURL(), tls: ts.TLSConfig(t),
		via: map[string]string{}, vanish: map[*client]func(){}, ending: map[string]chan struct{}{}}
	// Registered after start, before any client: the hooks run after
	// the IM ones, once the session's unavailable presence went out.
	ts.App.Core().OnSessionEnd(func(sess *server.Session, _ error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if ch, ok := s.ending[sess.JID().String()]; ok {
			close(ch)
			delete(s.ending, sess.JID().String())
		}
	})
	return s
}

// user creates local@localhost with imtest.Password.
func (s *srv) user(local string) { s.AddUser(s.t, local, imtest.Password) }

// admin sends one request over the admin socket, as the command line
// tool does after changing storage, and fails the test unless the
// server reports success.
func (s *srv) admin(req admin.Request) admin.Response {
	s.t.Helper()
	resp := s.Admin(s.t, req)
	if !resp.OK {
		s.t.Fatalf("admin %+v: %+v", req, resp)
	}
	return resp
}
