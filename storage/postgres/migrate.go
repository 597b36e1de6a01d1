package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-xmpp/parley/migrations"
)

// migrateLock is the pg_advisory_lock key of Migrate ("parley" in ASCII).
const migrateLock = 0x7061726c6579

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// Migrate implements storage.Store. It holds a session advisory lock for
// the whole run, so a second process migrating at once waits, then finds
// nothing to do; each migration is applied in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := migrations.List(migrations.Postgres)
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.connErr(err, s.pool.Config().ConnConfig.Password)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return wrap("migrate: lock", err)
	}
	defer unlock(ctx, conn)
	if _, err := conn.Exec(ctx, createSchemaMigrations); err != nil {
		return wrap("migrate", err)
	}
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return err
	}
	pending, err := migrations.Pending(all, applied)
	if err != nil {
		return err
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) ([]int, error) {
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, wrap("migrate", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	return vs, wrap("migrate", err)
}

// MigrationStatus implements storage.Store.
func (s *Store) MigrationStatus(ctx context.Context) (applied, available int, err error) {
	available = migrations.Latest(migrations.Postgres)
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, available, wrap("migration status", err)
	}
	if !exists {
		return 0, available, nil
	}
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied)
	return applied, available, wrap("migration status", err)
}

// unlock releases the migration lock; a connection that may still hold it
// is closed rather than returned to the pool.
func unlock(ctx context.Context, conn *pgxpool.Conn) {
	if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock); err != nil {
		conn.Hijack().Close(context.WithoutCancel(ctx))
	}
}
