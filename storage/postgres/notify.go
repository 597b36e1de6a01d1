package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-xmpp/parley/storage"
)

var _ storage.Notifier = (*Store)(nil)

// Notify implements storage.Notifier with pg_notify on
// storage.AdminChannel.
func (s *Store) Notify(ctx context.Context, payload string) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", storage.AdminChannel, payload)
	return wrap("notify", err)
}

// listenBackoff bounds the wait between two attempts to re-establish a
// lost listening connection.
const (
	listenBackoffMin = 50 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// Listen implements storage.Notifier. It holds a connection of its own,
// outside the pool, so that listening never takes a pooled connection
// from queries.
func (s *Store) Listen(ctx context.Context, fn func(payload string)) (<-chan struct{}, error) {
	conn, err := s.listenConn(ctx)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.listenLoop(ctx, conn, fn)
	}()
	return done, nil
}

// listenConn connects and subscribes to storage.AdminChannel.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, s.connErr(err, cfg.Password)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{storage.AdminChannel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, wrap("listen", err)
	}
	return conn, nil
}

// listenLoop hands notifications to fn and reconnects when the connection
// is lost, until ctx is done.
func (s *Store) listenLoop(ctx context.Context, conn *pgx.Conn, fn func(string)) {
	backoff := listenBackoffMin
	for {
		for conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				conn.Close(context.Background())
				conn = nil
				break
			}
			backoff = listenBackoffMin
			fn(n.Payload)
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
		conn, _ = s.listenConn(ctx) // nil on error: wait and try again
	}
}
