// Package e2e runs the real server in-process on random loopback ports and
// drives it with a third-party client library (mellium.im/xmpp).
package e2e

import (
	"crypto/tls"
	"testing"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/internal/testserver"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// server is a running app with a client TLS configuration that trusts
// its generated certificate.
type server struct {
	*testserver.Server
	tls *tls.Config
}

// start runs the app on 127.0.0.1 port 0 with a temp SQLite file (or
// PostgreSQL with testserver.Postgres).
func start(t *testing.T, opts ...testserver.Option) *server {
	t.Helper()
	s := testserver.Start(t, append([]testserver.Option{testserver.LogLevel(zerolog.InfoLevel)}, opts...)...)
	return &server{Server: s, tls: s.TLSConfig(t)}
}
