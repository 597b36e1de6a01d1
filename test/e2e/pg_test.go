package e2e

import (
	"testing"

	"github.com/parley-xmpp/parley/internal/pgtest"
)

// pgtestDatabase returns a fresh PostgreSQL database (the test skips when
// no PostgreSQL is available).
func pgtestDatabase(t *testing.T) string { return pgtest.NewDatabase(t) }
