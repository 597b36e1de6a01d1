package storage

import "context"

// AdminChannel is the notification channel that carries admin changes
// between processes sharing one database (PostgreSQL LISTEN/NOTIFY): the
// payload is the JSON line the admin socket takes, such as
// {"op":"kick","jid":"alice@localhost","reason":"deleted"}.
const AdminChannel = "parley_admin"

// Notifier is implemented by backends that can carry notifications from
// one process to the others using the same database (PostgreSQL). The
// CLI notifies after it changed storage; a running server listens and
// applies the change live. Backends without it (SQLite) rely on the
// local admin socket alone.
type Notifier interface {
	// Notify sends payload on AdminChannel to every listener, once the
	// current transaction (if any) commits. Payloads are at most 7999
	// bytes.
	Notify(ctx context.Context, payload string) error
	// Listen subscribes to AdminChannel and returns once the subscription
	// is in place, or the error that prevented it. fn then runs, from
	// one goroutine, with each payload until ctx is done; a lost
	// connection is re-established with back-off (notifications sent
	// while it was down are lost). done is closed when that goroutine
	// has returned.
	Listen(ctx context.Context, fn func(payload string)) (done <-chan struct{}, err error)
}
