package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// Point reads (the ones a login and message delivery make) run as single
// prepared statements on the read pool, outside explicit transactions:
//
//   - The pure-Go SQLite compiles the SQL text of every unprepared call
//     into a program again, which was a third of the CPU of a login.
//   - One statement reads from one snapshot (SQLite runs it in an implicit
//     read transaction), so it needs no BEGIN; database/sql would also
//     start a goroutine per explicit transaction.
//   - The driver starts a goroutine per statement to interrupt it when the
//     context has a Done channel. A point read on a WAL reader never waits
//     for the writer and takes microseconds, so the context is checked
//     before the statement and not watched during it.

// stmtCache holds the prepared statements of the read pool by query text;
// database/sql prepares each again on every pool connection it runs on.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// stmt returns the prepared statement of query, preparing it once.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &s.stmts
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.m[query]; st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, wrap("prepare", err)
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// closeStmts closes the prepared statements.
func (s *Store) closeStmts() {
	c := &s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// pointRead returns the context a point read runs with: an error when ctx
// is already done, else one the driver need not watch.
func pointRead(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return context.WithoutCancel(ctx), nil
}

// query runs the read-only statement query, prepared.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, err := pointRead(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs the read-only statement query, prepared, and scans its
// first row into dest: sql.ErrNoRows when there is none.
func (s *Store) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}
