package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	r := mustRun(t, "", "version")
	if !strings.Contains(r.stdout, "parley dev") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Fatalf("version output: %s", r)
	}
	mustFail(t, 2, `unexpected argument "extra"`, "", "version", "extra")
}

func TestHelp(t *testing.T) {
	r := mustRun(t, "", "help")
	for _, c := range []string{"serve", "user add", "user add-bulk", "user del", "user passwd", "user list",
		"roster list", "roster add", "roster del", "migrate", "check", "version"} {
		if !strings.Contains(r.stdout, "  "+c+" ") {
			t.Errorf("help does not list %q:\n%s", c, r.stdout)
		}
	}
	if r := mustRun(t, "", "--help"); !strings.Contains(r.stdout, "Usage: parley") {
		t.Errorf("--help: %s", r)
	}
	for _, args := range [][]string{{"user", "add", "-h"}, {"help", "user", "add"}, {"user", "add", "--help"}} {
		r := mustRun(t, "", args...)
		if !strings.Contains(r.stdout, "Usage: parley user add [flags] JID") || !strings.Contains(r.stdout, "-password-stdin") ||
			strings.Count(r.stdout, "Usage:") != 1 {
			t.Errorf("%v: %s", args, r)
		}
	}
	for _, cmd := range []string{"serve", "check", "migrate", "version", "roster add", "roster list", "roster del",
		"user del", "user passwd", "user list", "user add-bulk"} {
		r := mustRun(t, "", append(strings.Fields(cmd), "-h")...)
		if !strings.Contains(r.stdout, "Usage: parley "+cmd) && cmd != "version" {
			t.Errorf("%s -h: %s", cmd, r)
		}
	}
	if r := mustRun(t, "", "user", "-h"); !strings.Contains(r.stdout, "user passwd") {
		t.Errorf("user -h: %s", r)
	}
}

func TestUsageErrors(t *testing.T) {
	mustFail(t, 2, "Usage: parley", "")
	mustFail(t, 2, `unknown command "frob"`, "", "frob")
	mustFail(t, 2, "missing subcommand", "", "user")
	mustFail(t, 2, `unknown subcommand "frob"`, "", "roster", "frob")
	mustFail(t, 2, "flag provided but not defined: -bogus", "", "user", "list", "--bogus")
	mustFail(t, 2, "expected 1 argument(s), got 0", "", "user", "add")
	mustFail(t, 2, `unexpected argument "b"`, "", "user", "del", "a@localhost", "b")
	mustFail(t, 2, "flag provided but not defined", "", "--bogus", "version")
}

func TestGlobalConfigFlag(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "--config", cfg, "user", "add", "alice@localhost", "--password-stdin")
	t.Setenv("PARLEY_CONFIG", cfg)
	if r := mustRun(t, "", "user", "list"); r.stdout != "alice@localhost\n" {
		t.Fatalf("PARLEY_CONFIG not used: %s", r)
	}
}

func TestLogLevelFlag(t *testing.T) {
	cfg := testConfig(t, "")
	mustFail(t, 2, "--log-level", "", "user", "list", "--config", cfg, "--log-level", "loud")
}
