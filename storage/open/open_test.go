package open

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/storage/postgres"
	"github.com/parley-xmpp/parley/storage/sqlite"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestSQLite(t *testing.T) {
	s, err := Open(t.Context(), "sqlite", filepath.Join(t.TempDir(), "data", "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*sqlite.Store); !ok {
		t.Fatalf("got %T", s)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestPostgres(t *testing.T) {
	s, err := Open(t.Context(), "postgres", pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*postgres.Store); !ok {
		t.Fatalf("got %T", s)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownDriver(t *testing.T) {
	_, err := Open(t.Context(), "mysql", "x")
	if err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Fatalf("err = %v", err)
	}
}
