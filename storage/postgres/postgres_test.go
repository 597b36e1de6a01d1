package postgres

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/migrations"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/storagetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, pgtest.NewDatabase(t))
	})
}

// TestConnectErrorHidesPassword connects to a closed loopback port.
func TestConnectErrorHidesPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	const secret = "s3cr3t-Pa55word"
	for _, dsn := range []string{
		"postgres://parley:" + secret + "@127.0.0.1:" + strconv.Itoa(port) + "/parleydb?sslmode=disable&connect_timeout=5",
		"host=127.0.0.1 port=" + strconv.Itoa(port) + " dbname=parleydb user=parley password=" + secret + " sslmode=disable",
	} {
		_, err := Open(t.Context(), dsn)
		if err == nil {
			t.Fatal("Open succeeded on a closed port")
		}
		msg := err.Error()
		if strings.Contains(msg, secret) {
			t.Fatalf("error reveals the password: %s", msg)
		}
		for _, want := range []string{"127.0.0.1", "parleydb"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %q", msg, want)
			}
		}
	}
	_, err = Open(t.Context(), "postgres://parley:"+secret+"@127.0.0.1:notaport/x")
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("bad dsn error: %v", err)
	}
}

func TestTooNew(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t))
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES (999)`); err != nil {
		t.Fatal(err)
	}
	err := s.Migrate(ctx)
	var tn *migrations.TooNewError
	if !errors.As(err, &tn) || tn.Database != 999 || !strings.Contains(err.Error(), "upgrade parley") {
		t.Fatalf("Migrate = %v, want TooNewError", err)
	}
	applied, available, err := s.MigrationStatus(ctx)
	if err != nil || applied <= available {
		t.Fatalf("MigrationStatus = %d, %d, %v", applied, available, err)
	}
}

func TestStatusOfEmptyDatabase(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t))
	applied, available, err := s.MigrationStatus(t.Context())
	if err != nil || applied != 0 || available != migrations.Latest(migrations.Postgres) {
		t.Fatalf("MigrationStatus = %d, %d, %v", applied, available, err)
	}
}

// TestConcurrentMigrate starts several processes' worth of stores migrating
// one database at once: the advisory lock lets exactly one apply each step.
func TestConcurrentMigrate(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 4
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = open(t, dsn)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, s := range stores {
		wg.Go(func() { errs <- s.Migrate(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	applied, available, err := stores[0].MigrationStatus(t.Context())
	if err != nil || applied != available {
		t.Fatalf("MigrationStatus = %d, %d, %v", applied, available, err)
	}
}
