package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parley-xmpp/parley/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// result is what one run of the program produced.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// parley runs the program in-process with stdin as its input.
func parley(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mustRun runs the program and fails the test unless it exits 0.
func mustRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	r := parley(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("parley %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// mustFail runs the program and checks the exit status and that stderr
// contains want.
func mustFail(t *testing.T, code int, want, stdin string, args ...string) result {
	t.Helper()
	r := parley(t, stdin, args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		t.Fatalf("parley %s: want exit %d and %q in stderr, got %s", strings.Join(args, " "), code, want, r)
	}
	if code == 1 && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("error is not one line: %q", r.stderr)
	}
	return r
}

// testConfig writes a configuration using a fresh SQLite file and returns
// its path. extra is appended to the file.
func testConfig(t *testing.T, extra string) string {
	t.Helper()
	t.Setenv("PARLEY_CONFIG", "")
	dir := t.TempDir()
	doc := fmt.Sprintf(`domains = ["localhost", "Example.COM"]
data_dir = %q
[storage]
driver = "sqlite"
dsn = %q
`, dir, filepath.Join(dir, "parley.db"))
	return writeConfig(t, dir, doc+extra)
}

// postgresConfig writes a configuration using a fresh PostgreSQL database.
func postgresConfig(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	t.Setenv("PARLEY_CONFIG", "")
	dir := t.TempDir()
	return writeConfig(t, dir, fmt.Sprintf(`domains = ["localhost"]
data_dir = %q
[storage]
driver = "postgres"
dsn = %q
`, dir, url))
}

func writeConfig(t *testing.T, dir, doc string) string {
	t.Helper()
	p := filepath.Join(dir, "parley.toml")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// lineWriter is a concurrency-safe buffer that signals when given text
// has been written.
type lineWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	waiters map[string]chan struct{}
	seen    <-chan struct{} // closed once the text given to newLineWriter is written
}

func newLineWriter(want string) *lineWriter {
	w := &lineWriter{waiters: map[string]chan struct{}{}}
	w.seen = w.written(want)
	return w
}

// written returns a channel closed once text has been written.
func (w *lineWriter) written(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if strings.Contains(w.buf.String(), text) {
		close(ch)
	} else {
		w.waiters[text] = ch
	}
	return ch
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for text, ch := range w.waiters {
		if strings.Contains(w.buf.String(), text) {
			close(ch)
			delete(w.waiters, text)
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
