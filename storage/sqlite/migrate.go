package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/parley-xmpp/parley/migrations"
)

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
)`

// Migrate implements storage.Store. The whole run is one BEGIN IMMEDIATE
// transaction: it holds the database's write lock, so a second process
// migrating at the same time waits and then finds nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	all, err := migrations.List(migrations.SQLite)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return wrap("migrate", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		pending, err := migrations.Pending(all, applied)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.Version, formatTime(time.Now())); err != nil {
				return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

// MigrationStatus implements storage.Store.
func (s *Store) MigrationStatus(ctx context.Context) (applied, available int, err error) {
	available = migrations.Latest(migrations.SQLite)
	err = s.read(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx,
			`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
			return wrap("migration status", err)
		}
		if n == 0 {
			return nil
		}
		return wrap("migration status", tx.QueryRowContext(ctx,
			`SELECT count(*) FROM schema_migrations`).Scan(&applied))
	})
	return applied, available, err
}

func appliedVersions(ctx context.Context, tx *sql.Tx) ([]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, wrap("migrate", err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, wrap("migrate", err)
		}
		vs = append(vs, v)
	}
	return vs, wrap("migrate", rows.Err())
}
