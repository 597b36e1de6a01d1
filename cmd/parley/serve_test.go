package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	cfg := testConfig(t, "[c2s]\nlisten = [\"127.0.0.1:0\"]\n[http]\nlisten = [\"127.0.0.1:0\"]\ntls_listen = []\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := newLineWriter(`"ready"`)
	var stdout strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--log-level", "debug"}, strings.NewReader(""), &stdout, stderr)
	}()
	select {
	case <-stderr.seen:
	case code := <-done:
		t.Fatalf("serve exited %d before ready: %s", code, stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve not ready: %s", stderr)
	}
	// The CLI works against the database of the running server.
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, want := range []string{"open-file limit", `"stopped"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %s: %s", want, stderr)
		}
	}
}

func TestServeErrors(t *testing.T) {
	cfg := testConfig(t, "")
	mustFail(t, 2, "--log-level", "", "serve", "--config", cfg, "--log-level", "chatty")
	mustFail(t, 2, `unexpected argument "now"`, "", "serve", "--config", cfg, "now")
	bad := writeConfig(t, t.TempDir(), "[log]\nlevel = 3\n")
	mustFail(t, 1, bad+":2: log.level: expected a string, got an integer", "", "serve", "--config", bad)
}
