// Package migrations holds Parley's versioned database schema, one set of SQL
// files per dialect, embedded in the binary.
//
// Files are named NNNN_description.sql; NNNN is the version, starting at 1
// without gaps. A migration is applied at most once, in a transaction, and
// recorded in the schema_migrations table. Backends apply them under a lock
// shared by every process using the database.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialects known to this package.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Migration is one versioned schema change.
type Migration struct {
	Version int    // 1, 2, ...
	Name    string // file name, e.g. "0001_init.sql"
	SQL     string
}

// TooNewError reports a database whose schema is newer than this binary.
type TooNewError struct {
	Database int // highest version recorded in the database
	Known    int // highest version this binary knows
}

// Error implements error.
func (e *TooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this binary (knows up to %d); upgrade parley",
		e.Database, e.Known)
}

// FS returns the SQL files of dialect ("sqlite" or "postgres").
func FS(dialect string) (fs.FS, error) {
	if dialect != SQLite && dialect != Postgres {
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	return fs.Sub(files, dialect)
}

// List returns the migrations of dialect in version order. It fails when a
// file name has no version or versions are not 1..N.
func List(dialect string) ([]Migration, error) {
	fsys, err := FS(dialect)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		m, err := load(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s/%s: expected version %d", dialect, m.Name, i+1)
		}
	}
	return out, nil
}

func load(fsys fs.FS, name string) (Migration, error) {
	num, _, ok := strings.Cut(path.Base(name), "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil || v < 1 {
		return Migration{}, fmt.Errorf("migrations: %s: name must start with a version like 0001_", name)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Migration{}, err
	}
	return Migration{Version: v, Name: name, SQL: string(b)}, nil
}

// Latest returns the highest version of dialect, 0 for an unknown dialect.
func Latest(dialect string) int {
	l, err := List(dialect)
	if err != nil || len(l) == 0 {
		return 0
	}
	return l[len(l)-1].Version
}

// Pending returns the migrations of all that are not in applied, in order.
// It returns a *TooNewError when applied holds a version newer than all.
func Pending(all []Migration, applied []int) ([]Migration, error) {
	known := 0
	if len(all) > 0 {
		known = all[len(all)-1].Version
	}
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		if v > known {
			return nil, &TooNewError{Database: maxInt(applied), Known: known}
		}
		done[v] = true
	}
	var out []Migration
	for _, m := range all {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}

func maxInt(vs []int) int {
	m := 0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}
