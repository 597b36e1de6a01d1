package robust

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/internal/testserver"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
)

// pgAdmin runs statements on the maintenance database of the test server.
func pgAdmin(t *testing.T, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range stmts {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// dbName is the database name of a postgres:// URL.
func dbName(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

// TestStorageOutage takes the database away under a running server: a
// login then fails with <temporary-auth-failure/> (RFC 6120 §6.5.11),
// neither a panic nor a hang, bound sessions go on, and logins work again
// once the database is back.
func TestStorageOutage(t *testing.T) {
	s := start(t, testserver.Postgres())
	db := dbName(t, s.Config.Storage.DSN)
	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	alice := s.login("alice", "secret")

	pgAdmin(t,
		"ALTER DATABASE "+db+" ALLOW_CONNECTIONS false",
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+db+"'")
	restored := false
	restore := func() {
		if !restored {
			restored = true
			pgAdmin(t, "ALTER DATABASE "+db+" ALLOW_CONNECTIONS true")
		}
	}
	t.Cleanup(restore)

	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256"} {
		bob := s.open()
		if mech == "PLAIN" {
			bob.auth(mech, plain("bob", "secret"))
		} else {
			bob.auth(mech, "biwsbj1ib2Iscj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0w=") // n,,n=bob,r=fyko+d2lbbFgONRv9qkxdawL
		}
		bob.saslFailure(psasl.TemporaryAuthFailure)
	}
	alice.ping("during")
	// A roster request needs storage: it gets an error, not silence.
	alice.send(`<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)
	if el := alice.expect("iq"); el.SelectAttrValue("type", "") != "error" {
		t.Fatalf("roster during the outage: got %s, want an error", stream.String(el))
	}

	// A message to an offline user cannot be stored: the sender is told
	// to retry later, with a wait-type <internal-server-error/> (RFC 6120
	// §8.3.3.6), not the permanent <service-unavailable/>.
	alice.send(`<message to='bob@localhost' id='m1' type='chat'><body>hi</body></message>`)
	el := alice.stanzaError("message", "m1", "internal-server-error")
	if typ := el.SelectElement("error").SelectAttrValue("type", ""); typ != "wait" {
		t.Fatalf("message during the outage: got %s, want a wait-type error", stream.String(el))
	}

	restore()
	s.login("bob", "secret").ping("after")
	alice.ping("after")
}
