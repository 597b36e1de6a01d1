package main

import (
	"net"
	"strings"
	"testing"
)

// The same commands work against PostgreSQL.
func TestPostgresUsers(t *testing.T) {
	cfg := postgresConfig(t)
	mustRun(t, "", "migrate", "--config", cfg)
	if r := mustRun(t, "", "check", "--config", cfg); !strings.Contains(r.stdout, "postgres database: reachable") {
		t.Fatalf("check: %s", r)
	}
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	mustFail(t, 1, "already exists", "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	mustRun(t, "pw\n", "user", "add-bulk", "--config", cfg, "--password-stdin", "bulk", "5")
	r := mustRun(t, "", "user", "list", "--config", cfg)
	if !strings.HasPrefix(r.stdout, "alice@localhost\nbulk1@localhost\n") || strings.Count(r.stdout, "\n") != 6 {
		t.Fatalf("list: %s", r)
	}
	if !verify(t, cfg, "localhost", "alice", "pw") {
		t.Fatal("credentials do not verify")
	}
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@localhost", "--group", "G")
	if r := mustRun(t, "", "roster", "list", "--config", cfg, "alice@localhost"); !strings.Contains(r.stdout, "bob@localhost") {
		t.Fatalf("roster: %s", r)
	}
	mustRun(t, "", "user", "del", "--config", cfg, "alice@localhost")
}

func TestPostgresCheckNotMigrated(t *testing.T) {
	cfg := postgresConfig(t)
	mustFail(t, 1, "database is not migrated", "", "check", "--config", cfg)
}

func TestPostgresUnreachable(t *testing.T) {
	dir := t.TempDir()
	ln := closedPort(t)
	cfg := writeConfig(t, dir, "[storage]\ndriver = \"postgres\"\ndsn = \"postgres://parley:hunter2@"+ln+"/parley?connect_timeout=5\"\n")
	r := mustFail(t, 1, "database unreachable", "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	if strings.Contains(r.stderr, "hunter2") {
		t.Fatalf("password in error: %s", r.stderr)
	}
	mustFail(t, 1, "database unreachable", "", "check", "--config", cfg)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
