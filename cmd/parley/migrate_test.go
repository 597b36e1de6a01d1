package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	cfg := testConfig(t, "")
	r := mustRun(t, "", "migrate", "status", "--config", cfg)
	if !regexp.MustCompile(`^sqlite database: 0 of \d+ migrations applied, \d+ pending: run 'parley migrate'\n$`).MatchString(r.stdout) {
		t.Fatalf("status before: %s", r)
	}
	r = mustRun(t, "", "migrate", "--config", cfg)
	if !regexp.MustCompile(`^sqlite database: applied [1-9]\d* migration\(s\), (\d+) of \d+ applied, up to date\n$`).MatchString(r.stdout) {
		t.Fatalf("migrate: %s", r)
	}
	if r := mustRun(t, "", "migrate", "--config", cfg); !strings.Contains(r.stdout, "applied 0 migration(s)") {
		t.Fatalf("second migrate: %s", r)
	}
	if r := mustRun(t, "", "migrate", "status", "--config", cfg); !strings.HasSuffix(r.stdout, ", up to date\n") {
		t.Fatalf("status after: %s", r)
	}
	mustFail(t, 2, `unknown subcommand "up"`, "", "migrate", "up", "--config", cfg)
}

func TestCheck(t *testing.T) {
	t.Setenv("PARLEY_CONFIG", "")
	if r := mustRun(t, "", "check"); !strings.HasPrefix(r.stdout, "built-in defaults: configuration is valid") {
		t.Fatalf("check defaults: %s", r)
	}
	cfg := testConfig(t, "")
	r := mustRun(t, "", "check", "--config", cfg)
	if !strings.Contains(r.stdout, cfg+": configuration is valid (domains: [localhost example.com])") ||
		!strings.Contains(r.stdout, "does not exist yet") {
		t.Fatalf("check: %s", r)
	}
	mustRun(t, "", "migrate", "--config", cfg)
	if r := mustRun(t, "", "check", "--config", cfg); !strings.Contains(r.stdout, "sqlite database: reachable") {
		t.Fatalf("check migrated: %s", r)
	}
	mustFail(t, 2, `unexpected argument "x"`, "", "check", "--config", cfg, "x")
}

func TestCheckRejects(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.toml")
	os.WriteFile(p, []byte("domains = [\"localhost\"]\n\n[c2s]\nlisten = []\ncolor = \"blue\"\n"), 0o600)
	mustFail(t, 1, p+":5: c2s.color: unknown key", "", "check", "--config", p)
	os.WriteFile(p, []byte("[c2s]\nrequire_tls = \"no\"\n"), 0o600)
	mustFail(t, 1, p+":2: c2s.require_tls: expected a boolean (true or false), got a string", "", "check", "--config", p)
	os.WriteFile(p, []byte("[storage]\ndriver = \"oracle\"\n"), 0o600)
	mustFail(t, 1, p+`:2: storage.driver: expected "sqlite" or "postgres", got "oracle"`, "", "check", "--config", p)
	mustFail(t, 1, "no such file", "", "check", "--config", filepath.Join(dir, "missing.toml"))
	cfg := testConfig(t, "[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"\n")
	mustFail(t, 1, "tls.cert/tls.key: open /nonexistent/cert.pem", "", "check", "--config", cfg)
}
