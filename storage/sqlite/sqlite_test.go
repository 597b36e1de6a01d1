package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parley-xmpp/parley/migrations"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/storagetest"
)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestOpenCreatesDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "parley.db")
	s := open(t, path)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := s.r.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.r.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenRejectsURI(t *testing.T) {
	for _, dsn := range []string{"", "file:x.db", "x.db?mode=ro"} {
		if _, err := Open(t.Context(), dsn); err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}

func TestTooNew(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "parley.db"))
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')`); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(ctx)
	var tn *migrations.TooNewError
	if !errors.As(err, &tn) || tn.Database != 999 {
		t.Fatalf("Migrate = %v, want TooNewError", err)
	}
	want := "database schema version 999 is newer than this binary (knows up to 1); upgrade parley"
	if migrations.Latest(migrations.SQLite) == 1 && err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	applied, available, err := s.MigrationStatus(ctx)
	if err != nil || applied <= available {
		t.Fatalf("MigrationStatus = %d, %d, %v", applied, available, err)
	}
}

func TestStatusOfEmptyDatabase(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "parley.db"))
	applied, available, err := s.MigrationStatus(t.Context())
	if err != nil || applied != 0 || available != migrations.Latest(migrations.SQLite) {
		t.Fatalf("MigrationStatus = %d, %d, %v", applied, available, err)
	}
}

// TestTwoProcesses opens the same file twice, as the server and the command
// line tool do, and migrates and writes from both at once.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, s := range []*Store{a, b} {
		wg.Go(func() { errs <- s.Migrate(ctx) })
	}
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	if err := a.CreateAccount(ctx, "example.org", "alice", nil); err != nil {
		t.Fatal(err)
	}
	const n = 10
	errc := make(chan error, 2*n)
	for i := range n {
		for _, s := range []*Store{a, b} {
			wg.Go(func() {
				_, _, err := s.UpdateRosterItem(ctx, "example.org", "alice", "shared@example.org",
					func(cur *storage.RosterItem) (*storage.RosterItem, error) {
						if cur == nil {
							cur = &storage.RosterItem{}
						}
						cur.Groups = append(cur.Groups, string(rune('a'+i)))
						return cur, nil
					})
				errc <- err
			})
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	v, err := b.RosterVersion(ctx, "example.org", "alice")
	if err != nil || v != 2*n {
		t.Fatalf("version %d, %v; want %d", v, err, 2*n)
	}
	if applied, _, _ := b.MigrationStatus(ctx); applied != migrations.Latest(migrations.SQLite) {
		t.Fatalf("applied %d", applied)
	}
}
