package main

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/config"
)

// adminServer listens on the admin socket of cfgPath and returns the kick
// requests it receives.
func adminServer(t *testing.T, cfgPath string) <-chan map[string]string {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(cfg.DataDir, adminSocket))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan map[string]string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadBytes('\n')
			c.Close()
			var m map[string]string
			json.Unmarshal(line, &m)
			got <- m
		}
	}()
	return got
}

func TestAdminNotify(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	got := adminServer(t, cfg)
	expect := func(reason string) {
		t.Helper()
		select {
		case m := <-got:
			if m["op"] != "kick" || m["jid"] != "alice@localhost" || m["reason"] != reason {
				t.Fatalf("got %v, want kick of alice@localhost for %s", m, reason)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s notification", reason)
		}
	}
	mustRun(t, "new\n", "user", "passwd", "--config", cfg, "--password-stdin", "alice@localhost")
	expect("password")
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@localhost")
	expect("roster")
	mustRun(t, "", "roster", "del", "--config", cfg, "alice@localhost", "bob@localhost")
	expect("roster")
	mustRun(t, "", "user", "del", "--config", cfg, "alice@localhost")
	expect("deleted")
}

// A socket file nobody listens on is ignored.
func TestAdminNotifyStaleSocket(t *testing.T) {
	cfg := testConfig(t, "")
	c, _ := config.Load(cfg)
	ln, err := net.Listen("unix", filepath.Join(c.DataDir, adminSocket))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	r := mustRun(t, "", "user", "del", "--config", cfg, "alice@localhost", "--log-level", "debug")
	if r.stdout != "deleted alice@localhost\n" {
		t.Fatalf("%s", r)
	}
}
