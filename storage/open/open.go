// Package open opens the storage backend named in the configuration.
package open

import (
	"context"
	"fmt"

	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/postgres"
	"github.com/parley-xmpp/parley/storage/sqlite"
)

// Drivers lists the accepted driver names.
var Drivers = []string{"sqlite", "postgres"}

// Open opens the store of driver: "sqlite" (dsn is a file path; the file
// and its directory are created when missing) or "postgres" (dsn is a
// postgres:// URL or key=value string; the server must be reachable). It
// does not migrate: call Migrate on the result.
func Open(ctx context.Context, driver, dsn string) (storage.Store, error) {
	switch driver {
	case "sqlite":
		return sqlite.Open(ctx, dsn)
	case "postgres":
		return postgres.Open(ctx, dsn)
	default:
		return nil, fmt.Errorf("storage: unknown driver %q (want \"sqlite\" or \"postgres\")", driver)
	}
}
