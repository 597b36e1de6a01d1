package main

import (
	"strings"
	"testing"
)

func TestRoster(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	r := mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "Bob@Example.com",
		"--name", "Bob B", "--group", "Friends", "--group", "Work", "--subscription", "both")
	if r.stdout != "bob@example.com in the roster of alice@localhost (roster version 1)\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "carol@elsewhere.org")
	r = mustRun(t, "", "roster", "list", "--config", cfg, "alice@localhost")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 {
		t.Fatalf("roster list: %s", r)
	}
	for i, want := range [][]string{
		{"CONTACT", "NAME", "SUBSCRIPTION", "ASK", "GROUPS"},
		{"bob@example.com", "Bob B", "both", "-", "Friends, Work"},
		{"carol@elsewhere.org", "-", "none", "-", "-"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	if lines[3] != "2 contact(s), roster version 2" {
		t.Errorf("summary %q", lines[3])
	}
	// Updating keeps what is not given.
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@example.com", "--subscription", "to")
	r = mustRun(t, "", "roster", "list", "--config", cfg, "alice@localhost")
	if !strings.Contains(r.stdout, "Bob B") || !strings.Contains(r.stdout, "Friends, Work") || !strings.Contains(r.stdout, " to ") {
		t.Fatalf("update lost data: %s", r)
	}
	r = mustRun(t, "", "roster", "del", "--config", cfg, "alice@localhost", "BOB@example.com")
	if r.stdout != "removed bob@example.com from the roster of alice@localhost (roster version 4)\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if r := mustRun(t, "", "roster", "list", "--config", cfg, "alice@localhost"); strings.Contains(r.stdout, "bob@") {
		t.Fatalf("not removed: %s", r)
	}
}

func TestRosterErrors(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	mustFail(t, 1, "no such user bob@localhost", "", "roster", "list", "--config", cfg, "bob@localhost")
	mustFail(t, 1, "no such user bob@localhost", "", "roster", "add", "--config", cfg, "bob@localhost", "carol@localhost")
	mustFail(t, 1, "no such user bob@localhost", "", "roster", "del", "--config", cfg, "bob@localhost", "carol@localhost")
	mustFail(t, 1, "carol@localhost is not in the roster of alice@localhost", "", "roster", "del", "--config", cfg, "alice@localhost", "carol@localhost")
	mustFail(t, 1, "invalid contact JID", "", "roster", "add", "--config", cfg, "alice@localhost", "carol@localhost/phone")
	mustFail(t, 1, "invalid contact JID", "", "roster", "add", "--config", cfg, "alice@localhost", "ca rol@localhost")
	mustFail(t, 1, "not served", "", "roster", "list", "--config", cfg, "alice@other.org")
	mustFail(t, 2, "--subscription must be none, to, from or both", "", "roster", "add", "--config", cfg,
		"alice@localhost", "carol@localhost", "--subscription", "remove")
	mustFail(t, 2, "--group must not be empty", "", "roster", "add", "--config", cfg,
		"alice@localhost", "carol@localhost", "--group", " ")
	mustFail(t, 2, "expected 2 argument(s), got 1", "", "roster", "add", "--config", cfg, "alice@localhost")
}

// TestRosterMutual checks that --subscription sets a local contact's side
// too: both is mutual, to on one side is from on the other.
func TestRosterMutual(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "bob@localhost")
	r := mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@localhost", "--subscription", "both")
	if !strings.Contains(r.stdout, "alice@localhost in the roster of bob@localhost with subscription both") {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = mustRun(t, "", "roster", "list", "--config", cfg, "bob@localhost")
	if !strings.Contains(r.stdout, "alice@localhost") || !strings.Contains(r.stdout, "both") {
		t.Fatalf("bob's roster: %s", r.stdout)
	}
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@localhost", "--subscription", "to")
	r = mustRun(t, "", "roster", "list", "--config", cfg, "bob@localhost")
	if !strings.Contains(r.stdout, " from ") {
		t.Fatalf("bob's roster after alice's 'to': %s", r.stdout)
	}
	// Without --subscription the contact's roster is left alone.
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@localhost", "--name", "Bobby")
	r = mustRun(t, "", "roster", "list", "--config", cfg, "bob@localhost")
	if strings.Contains(r.stdout, "Bobby") || !strings.Contains(r.stdout, " from ") {
		t.Fatalf("bob's roster after a rename: %s", r.stdout)
	}
}
