// Package postgres is the PostgreSQL storage backend, on a pgx v5 pool.
//
// Roster read-modify-writes run in READ COMMITTED transactions that first
// lock the roster's version row (SELECT ... FOR UPDATE), so concurrent
// updates of one roster are serialised and none is lost.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-xmpp/parley/storage"
)

// Store is the PostgreSQL backend. It implements storage.Store.
type Store struct {
	pool *pgxpool.Pool
	what string // "host H port P database D user U", for messages
}

var _ storage.Store = (*Store)(nil)

// Open connects to the database of dsn (a postgres:// URL or key=value
// string) and checks that it answers. It does not migrate; call Migrate.
// Errors name the host and database, never the password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in parse errors; scrub anyway.
		return nil, fmt.Errorf("postgres: invalid dsn: %s", scrub(err.Error(), dsn))
	}
	s := &Store{what: describe(cfg.ConnConfig)}
	password := cfg.ConnConfig.Password
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, s.connErr(err, password)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, s.connErr(err, password)
	}
	return s, nil
}

func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("host %s port %d database %s user %s", c.Host, c.Port, c.Database, c.User)
}

// connErr builds a connection error naming the server but not the password.
func (s *Store) connErr(err error, password string) error {
	msg := err.Error()
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		msg = ce.Unwrap().Error()
	}
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return fmt.Errorf("postgres: cannot connect to %s: %s", s.what, msg)
}

// scrub removes the password of dsn from msg.
func scrub(msg, dsn string) string {
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		return strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return msg
}

// Ping implements storage.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return s.connErr(err, s.pool.Config().ConnConfig.Password)
	}
	return nil
}

// Close implements storage.Store.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in a READ COMMITTED transaction.
func (s *Store) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

func notFound(domain, local string) error { return wrapKey(domain, local, storage.ErrNotFound) }

func wrapKey(domain, local string, err error) error {
	return fmt.Errorf("postgres: account %q at %q: %w", local, domain, err)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}
