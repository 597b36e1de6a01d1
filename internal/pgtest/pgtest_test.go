package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabase(t *testing.T) {
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatal("two databases with one URL")
	}
	ctx := context.Background()
	for _, u := range []string{a, b} {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n)
		conn.Close(ctx)
		if err != nil || n != 0 {
			t.Fatalf("fresh database has %d tables, %v", n, err)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"9.6", "13", "16"} {
		bin := filepath.Join(dir, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"initdb", "pg_ctl"} {
			if v == "16" && p == "pg_ctl" {
				continue // incomplete installation
			}
			if err := os.WriteFile(filepath.Join(bin, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	old := searchGlob
	t.Cleanup(func() { searchGlob = old })
	t.Setenv("PATH", "")
	searchGlob = filepath.Join(dir, "*", "bin")
	b, skip := findBinaries()
	if skip != "" || b.initdb != filepath.Join(dir, "13", "bin", "initdb") {
		t.Fatalf("findBinaries = %+v, %q; want version 13", b, skip)
	}
	searchGlob = filepath.Join(t.TempDir(), "*", "bin")
	if _, skip := findBinaries(); !strings.Contains(skip, "not found") {
		t.Fatalf("skip reason %q", skip)
	}
}
