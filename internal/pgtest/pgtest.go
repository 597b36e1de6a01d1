// Package pgtest gives tests a throwaway PostgreSQL server.
//
// A test binary that uses it calls Main from TestMain. The first test that
// asks for PostgreSQL starts one cluster (initdb + pg_ctl, found on PATH or
// under /usr/lib/postgresql/*/bin) in a temporary directory, listening on a
// free loopback port; Main stops it and removes the directory when the tests
// end. When PARLEY_TEST_POSTGRES_URL is set, that server is used instead.
//
// Without PostgreSQL the tests that need it are skipped with a loud message,
// or fail when PARLEY_REQUIRE_POSTGRES=1.
//
// PostgreSQL refuses to run as root: then initdb and pg_ctl run as the
// "postgres" system user (through runuser) in a directory that user owns.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables read by this package.
const (
	EnvURL     = "PARLEY_TEST_POSTGRES_URL" // use this server instead of starting one
	EnvRequire = "PARLEY_REQUIRE_POSTGRES"  // "1": a missing PostgreSQL fails instead of skipping
)

var (
	mu         sync.Mutex
	mainCalled bool
	started    *cluster // nil until first use
	baseURL    string
	startErr   error
	skipReason string
)

// Main runs the tests of m and then stops the cluster if one was started.
// Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	mu.Lock()
	mainCalled = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	if started != nil {
		if err := started.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
		started = nil
	}
	mu.Unlock()
	os.Exit(code)
}

// Start returns the URL of a PostgreSQL server for tests (its "postgres"
// database, as a superuser), starting the cluster on first use. It skips
// t when PostgreSQL is unavailable, or fails it when PARLEY_REQUIRE_POSTGRES=1.
func Start(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	if !mainCalled {
		t.Fatal("pgtest: call pgtest.Main(m) from TestMain so the cluster is stopped at exit")
	}
	if baseURL == "" && startErr == nil && skipReason == "" {
		baseURL, skipReason, startErr = startCluster()
	}
	switch {
	case startErr != nil:
		t.Fatalf("pgtest: %v", startErr)
	case skipReason != "":
		msg := "!!! PostgreSQL tests NOT RUN: " + skipReason +
			" (install PostgreSQL or set " + EnvURL + "; " + EnvRequire + "=1 turns this into a failure)"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return baseURL
}

// URL is Start under the name some tests prefer.
func URL(t testing.TB) string { t.Helper(); return Start(t) }

// startCluster is called with mu held.
func startCluster() (u, skip string, err error) {
	bins, skip := findBinaries()
	if skip != "" {
		return "", skip, nil
	}
	c, err := newCluster(bins)
	if err != nil {
		return "", "", err
	}
	started = c
	return c.url(), "", nil
}

// NewDatabase creates a fresh, empty database on the test server and returns
// its URL. The database is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := Start(t)
	var b [6]byte
	rand.Read(b[:])
	name := "parley_test_" + hex.EncodeToString(b[:])
	admin(t, base, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// admin runs one statement on the server's maintenance database.
func admin(t testing.TB, base, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
