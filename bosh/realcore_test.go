package bosh

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"testing"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/sqlite"
	"github.com/rs/zerolog"
)

// newRealCore is the session core over a migrated SQLite store in a temp
// dir, serving example.com and example.org, with users (password "secret")
// on example.com.
func newRealCore(t testing.TB, users ...string) *server.Core {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bosh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	creds, err := sasl.NewCredentials("secret", 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	for _, u := range users {
		if err := st.CreateAccount(ctx, "example.com", u, sc); err != nil {
			t.Fatal(err)
		}
	}
	c := server.NewCore(st, server.Options{Domains: []string{"example.com", "example.org"}, Logger: zerolog.Nop()})
	c.RegisterServices()
	return c
}

// auth is the PLAIN <auth/> for user (RFC 4616), or the stand-in core's.
func (h *harness) auth(user, password string) string {
	text := user
	if h.real != nil {
		text = base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	}
	return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + text + "</auth>"
}

// newRealCoreOpts is newRealCore("alice") with RequireTLS set as given.
func newRealCoreOpts(t testing.TB, requireTLS bool) *server.Core {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bosh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := server.NewCore(st, server.Options{Domains: []string{"example.com"}, RequireTLS: requireTLS, Logger: zerolog.Nop()})
	c.RegisterServices()
	return c
}
