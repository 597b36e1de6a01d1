package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/storage/open"
)

// verify checks that the stored credentials of domain/local accept password.
func verify(t *testing.T, cfgPath, domain, local, password string) bool {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := open.Open(ctx, cfg.Storage.Driver, cfg.Storage.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	creds, err := store.Credentials(ctx, domain, local)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 2 {
		t.Fatalf("want SHA-1 and SHA-256 credentials, got %d", len(creds))
	}
	ok := true
	for _, c := range creds {
		if c.Iterations < 4096 || len(c.Salt) == 0 {
			t.Errorf("weak credential %+v", c)
		}
		ok = ok && sasl.VerifyPlain(sasl.Credentials{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations,
			StoredKey: c.StoredKey, ServerKey: c.ServerKey}, password)
	}
	return ok
}

func TestUserAdd(t *testing.T) {
	cfg := testConfig(t, "")
	r := mustRun(t, "s3cret\n", "user", "add", "Alice@LocalHost", "--password-stdin", "--config", cfg)
	if r.stdout != "created alice@localhost\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if !verify(t, cfg, "localhost", "alice", "s3cret") || verify(t, cfg, "localhost", "alice", "wrong") {
		t.Fatal("stored credentials do not verify")
	}
	// The configured domain "Example.COM" is served as example.com.
	mustRun(t, "pw", "user", "add", "bob@EXAMPLE.com", "--config", cfg, "--password-stdin")
	mustFail(t, 1, "user alice@localhost already exists", "x\n", "user", "add", "alice@localhost", "--password-stdin", "--config", cfg)
}

func TestUserAddErrors(t *testing.T) {
	cfg := testConfig(t, "")
	add := func(code int, want, stdin, jid string, extra ...string) {
		t.Helper()
		mustFail(t, code, want, stdin, append([]string{"user", "add", "--config", cfg, jid}, extra...)...)
	}
	add(1, `invalid JID "al ice@localhost": localpart`, "pw\n", "al ice@localhost", "--password-stdin")
	add(1, `invalid JID "localhost": expected user@domain`, "pw\n", "localhost", "--password-stdin")
	add(1, "expected a bare JID", "pw\n", "alice@localhost/phone", "--password-stdin")
	add(1, `domain "other.org" is not served by this configuration (domains: localhost, example.com)`,
		"pw\n", "alice@other.org", "--password-stdin")
	add(1, "empty password on stdin", "\n", "alice@localhost", "--password-stdin")
	add(1, "no password on stdin", "", "alice@localhost", "--password-stdin")
	add(1, "stdin is not a terminal", "", "alice@localhost")

	bad := filepath.Join(t.TempDir(), "parley.toml")
	os.WriteFile(bad, []byte("[c2s]\nlisen = []\n"), 0o600)
	mustFail(t, 1, bad+":2: c2s.lisen: unknown key", "pw\n", "user", "add", "--config", bad, "a@localhost", "--password-stdin")

	// A database that cannot be opened: its directory is a file.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	unreachable := writeConfig(t, t.TempDir(), "[storage]\ndsn = \""+blocker+"/x/parley.db\"\n")
	mustFail(t, 1, "database unreachable", "pw\n", "user", "add", "--config", unreachable, "a@localhost", "--password-stdin")
}

func TestUserList(t *testing.T) {
	cfg := testConfig(t, "")
	if r := mustRun(t, "", "user", "list", "--config", cfg); r.stdout != "" {
		t.Fatalf("empty list: %s", r)
	}
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "bob@example.com")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	if r := mustRun(t, "", "user", "list", "--config", cfg); r.stdout != "bob@example.com\nalice@localhost\n" {
		t.Fatalf("list: %s", r)
	}
	if r := mustRun(t, "", "user", "list", "--config", cfg, "LOCALHOST"); r.stdout != "alice@localhost\n" {
		t.Fatalf("list localhost: %s", r)
	}
	mustFail(t, 1, "invalid domain", "", "user", "list", "--config", cfg, "a b")
}

func TestUserPasswd(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "old\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	r := mustRun(t, "new\n", "user", "passwd", "--config", cfg, "--password-stdin", "alice@localhost")
	if r.stdout != "password of alice@localhost changed\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if !verify(t, cfg, "localhost", "alice", "new") || verify(t, cfg, "localhost", "alice", "old") {
		t.Fatal("password not changed")
	}
	mustFail(t, 1, "no such user bob@localhost", "new\n", "user", "passwd", "--config", cfg, "--password-stdin", "bob@localhost")
	mustFail(t, 1, "stdin is not a terminal", "", "user", "passwd", "--config", cfg, "alice@localhost")
	mustFail(t, 1, "not served", "", "user", "passwd", "--config", cfg, "alice@other.org")
}

func TestUserDel(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	mustRun(t, "", "roster", "add", "--config", cfg, "alice@localhost", "bob@example.com")
	if r := mustRun(t, "", "user", "del", "--config", cfg, "ALICE@localhost"); r.stdout != "deleted alice@localhost\n" {
		t.Fatalf("stdout %q", r.stdout)
	}
	if r := mustRun(t, "", "user", "list", "--config", cfg); r.stdout != "" {
		t.Fatalf("still listed: %s", r)
	}
	mustFail(t, 1, "no such user alice@localhost", "", "user", "del", "--config", cfg, "alice@localhost")
	mustFail(t, 1, "invalid JID", "", "user", "del", "--config", cfg, "@localhost")
	// The account can be created again, with an empty roster.
	mustRun(t, "pw\n", "user", "add", "--config", cfg, "--password-stdin", "alice@localhost")
	if r := mustRun(t, "", "roster", "list", "--config", cfg, "alice@localhost"); strings.Contains(r.stdout, "bob") {
		t.Fatalf("roster survived deletion: %s", r)
	}
}

func TestUserAddBulk(t *testing.T) {
	cfg := testConfig(t, "")
	r := mustRun(t, "pw\n", "user", "add-bulk", "--config", cfg, "load", "40", "--password-stdin")
	if !strings.HasPrefix(r.stdout, "created 40 accounts load1@localhost .. load40@localhost in ") {
		t.Fatalf("stdout %q", r.stdout)
	}
	r = mustRun(t, "", "user", "list", "--config", cfg)
	if n := strings.Count(r.stdout, "\n"); n != 40 {
		t.Fatalf("%d accounts listed", n)
	}
	if !verify(t, cfg, "localhost", "load17", "pw") {
		t.Fatal("bulk credentials do not verify")
	}
	mustRun(t, "pw\n", "user", "add-bulk", "--config", cfg, "--domain", "example.com", "Load", "3", "--password-stdin")
	if r := mustRun(t, "", "user", "list", "--config", cfg, "example.com"); r.stdout != "load1@example.com\nload2@example.com\nload3@example.com\n" {
		t.Fatalf("list: %s", r)
	}
	mustFail(t, 1, "already exists", "pw\n", "user", "add-bulk", "--config", cfg, "load", "45", "--password-stdin")
	mustFail(t, 2, "--password-stdin is required", "pw\n", "user", "add-bulk", "--config", cfg, "x", "3")
	mustFail(t, 2, "COUNT must be an integer", "pw\n", "user", "add-bulk", "--config", cfg, "x", "many", "--password-stdin")
	mustFail(t, 2, "COUNT must be an integer", "pw\n", "user", "add-bulk", "--config", cfg, "x", "0", "--password-stdin")
	mustFail(t, 1, "not served", "pw\n", "user", "add-bulk", "--config", cfg, "--domain", "other.org", "x", "3", "--password-stdin")
	mustFail(t, 1, "invalid JID", "pw\n", "user", "add-bulk", "--config", cfg, "a b", "3", "--password-stdin")
}

func TestCreateBulkSalts(t *testing.T) {
	cfg := testConfig(t, "")
	mustRun(t, "pw\n", "user", "add-bulk", "--config", cfg, "u", "2", "--password-stdin")
	c, _ := config.Load(cfg)
	store, err := open.Open(context.Background(), c.Storage.Driver, c.Storage.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var salts []string
	for _, l := range []string{"u1", "u2"} {
		creds, err := store.Credentials(context.Background(), "localhost", l)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range creds {
			salts = append(salts, string(c.Salt))
		}
	}
	seen := map[string]bool{}
	for _, s := range salts {
		if seen[s] {
			t.Fatal("two credentials share a salt")
		}
		seen[s] = true
	}
}
