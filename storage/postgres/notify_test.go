package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/internal/pgtest"
)

// recv waits for one payload.
func recv(t *testing.T, got <-chan string, want string) {
	t.Helper()
	select {
	case p := <-got:
		if p != want {
			t.Fatalf("got payload %q, want %q", p, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no notification %q", want)
	}
}

// TestNotifyListen sends notifications from one Store to another on the
// same database, and checks that the listener comes back after its
// connection was terminated by the server.
func TestNotifyListen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	listener, sender := open(t, dsn), open(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan string, 10)
	done, err := listener.Listen(ctx, func(p string) { got <- p })
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.Notify(ctx, `{"op":"kick"}`); err != nil {
		t.Fatal(err)
	}
	recv(t, got, `{"op":"kick"}`)

	// Terminate every other backend of this database: the listener's
	// connection is among them.
	if _, err := sender.pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	// Notifications sent before the listener is back are lost: send until
	// one arrives.
	deadline := time.Now().Add(10 * time.Second)
	for back := false; !back; {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not come back")
		}
		if err := sender.Notify(ctx, "again"); err != nil {
			t.Fatal(err)
		}
		select {
		case p := <-got:
			back = p == "again"
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen did not stop with its context")
	}
}
