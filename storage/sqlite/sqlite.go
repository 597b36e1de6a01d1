// Package sqlite is the embedded storage backend: one SQLite file, opened
// with modernc.org/sqlite (pure Go), in WAL mode with foreign keys on.
//
// Several processes may use the same file at once (the server and the
// command line tool). Within a process, writes go through a pool of one
// connection whose transactions start with BEGIN IMMEDIATE, so a
// read-modify-write never has to upgrade a read lock (which is what causes
// SQLITE_BUSY storms); other processes wait on the busy timeout. Reads use a
// separate, read-only pool and, thanks to WAL, never block the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parley-xmpp/parley/storage"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// BusyTimeout is how long a statement waits for another process's lock.
const BusyTimeout = 5 * time.Second

// maxReaders bounds the read-only pool.
const maxReaders = 4

// Store is the SQLite backend. It implements storage.Store.
type Store struct {
	w     *sql.DB // exactly one connection, BEGIN IMMEDIATE transactions
	r     *sql.DB // read-only connections
	stmts stmtCache
	path  string
}

var _ storage.Store = (*Store)(nil)

// Open opens (creating it and its directory when needed) the database file
// at path. It does not migrate; call Migrate.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: dsn must be a plain file path, got %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
		}
	}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL, so it
	// must be the writer's.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(maxReaders)
	r.SetMaxIdleConns(maxReaders) // keep them open, with their prepared statements
	return &Store{w: w, r: r, path: path}, nil
}

// dsn builds the driver DSN: the pragmas run on every new connection.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: %s: %w", s.path, err)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error {
	s.closeStmts()
	return errors.Join(s.r.Close(), s.w.Close())
}

// write runs fn in a BEGIN IMMEDIATE transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// read runs fn in a read transaction (one consistent WAL snapshot).
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

func notFound(domain, local string) error { return wrapKey(domain, local, storage.ErrNotFound) }

func wrapKey(domain, local string, err error) error {
	return fmt.Errorf("sqlite: account %q at %q: %w", local, domain, err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
