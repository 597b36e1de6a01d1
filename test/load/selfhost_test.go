package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-xmpp/parley/config"
)

// TestSelfhostConfig checks that the generated configuration is valid for
// the server and stays on loopback.
func TestSelfhostConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "parley.toml")
	if err := os.WriteFile(p, []byte(selfhostConfig(dir, 15222, 15280)), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.C2S.RequireTLS || len(c.HTTP.TLSListen) != 0 || c.Auth.MaxFailures != 0 ||
		c.C2S.Listen[0] != "127.0.0.1:15222" || c.HTTP.Listen[0] != "127.0.0.1:15280" {
		t.Fatalf("config %+v", c)
	}
}

func TestSuite(t *testing.T) {
	o, err := parseOptions([]string{"-n", "30"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	runs := suite(o)
	if len(runs) != 5 {
		t.Fatalf("%d runs", len(runs))
	}
	for _, r := range runs {
		if err := r.validate(); err != nil {
			t.Errorf("%s/%s: %v", r.Scenario, r.Transport, err)
		}
		if r.Scenario != "echo" && r.N != 30 {
			t.Errorf("%s: -n not kept: %d", r.Scenario, r.N)
		}
	}
	o, _ = parseOptions([]string{"-scenario", "idle", "-n", "7"}, io.Discard)
	if runs := suite(o); len(runs) != 1 || runs[0].Scenario != "idle" || runs[0].N != 7 {
		t.Fatalf("explicit scenario: %+v", runs)
	}
}

func TestShardAddrs(t *testing.T) {
	srcs, _ := parseSourceAddrs("127.0.0.2,127.0.0.3,127.0.0.4")
	if got := shardAddrs(srcs, 1, 2); len(got) != 1 || got[0].String() != "127.0.0.3" {
		t.Errorf("shard 1 of 2: %v", got)
	}
	if got := shardAddrs(srcs, 0, 2); len(got) != 2 {
		t.Errorf("shard 0 of 2: %v", got)
	}
	if got := shardAddrs(srcs[:1], 3, 4); len(got) != 1 || got[0].String() != "127.0.0.2" {
		t.Errorf("few addresses: %v", got)
	}
}
