package app

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/config"
)

// syncBuffer is a log destination that signals when want was logged.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if b.seen != nil && strings.Contains(b.buf.String(), b.want) {
		close(b.seen)
		b.seen = nil
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	dir := t.TempDir()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Storage.DSN = filepath.Join(dir, "data", "parley.db")
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = nil
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRunStartsAndStops(t *testing.T) {
	cfg := testConfig(t)
	logs := &syncBuffer{want: `"message":"ready"`, seen: make(chan struct{})}
	seen := logs.seen
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := New(ctx, cfg, zerolog.New(logs))
	if err != nil {
		t.Fatal(err)
	}
	// Storage is open and migrated.
	if err := a.Store().CreateAccount(ctx, "localhost", "alice", nil); err != nil {
		t.Fatal(err)
	}
	applied, available, err := a.Store().MigrationStatus(ctx)
	if err != nil || applied != available || applied == 0 {
		t.Fatalf("migration status %d/%d %v", applied, available, err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-seen:
	case err := <-done:
		t.Fatalf("Run returned before ready: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatalf("not ready:\n%s", logs)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	for _, want := range []string{"open-file limit", "storage ready", `"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if a.Store() != nil {
		t.Error("storage not released")
	}
}

// A database with a schema newer than the binary is refused.
func TestNewRefusesNewerDatabase(t *testing.T) {
	cfg := testConfig(t)
	ctx := context.Background()
	a, err := New(ctx, cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", cfg.Storage.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (999999, '2000-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = New(ctx, cfg, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("New: %v", err)
	}
}

func TestNewUnreachableDatabase(t *testing.T) {
	cfg := testConfig(t)
	cfg.Storage.Driver = "postgres"
	cfg.Storage.DSN = "postgres://parley:secret@127.0.0.1:1/parley?connect_timeout=5"
	_, err := New(context.Background(), cfg, zerolog.Nop())
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("New: %v", err)
	}
}
