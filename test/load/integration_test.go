package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/storage"
)

// startParley runs the real server in-process on loopback port 0 with a
// temporary SQLite file and the accounts load1..loadN (password "pw").
func startParley(t *testing.T, accounts int) *app.App {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Storage.Driver, cfg.Storage.DSN = "sqlite", filepath.Join(dir, "parley.db")
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.C2S.RequireTLS = false
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	cfg.Auth.MaxFailures = 0
	ctx := context.Background()
	a, err := app.New(ctx, cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	creds, err := psasl.NewCredentials("pw", 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	for i := 1; i <= accounts; i++ {
		if err := a.Store().CreateAccount(ctx, "localhost", fmt.Sprintf("load%d", i), sc); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// TestAgainstParley runs every scenario against the real server, small.
func TestAgainstParley(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	a := startParley(t, 6)
	c2s := a.C2SAddrs()[0].String()
	bosh := ""
	if h := a.HTTPAddrs(); len(h) > 0 {
		bosh = "http://" + h[0].String() + "/http-bind"
	}
	cases := [][]string{
		{"-scenario", "login", "-transport", "tcp", "-n", "6", "-c", "3"},
		{"-scenario", "login", "-transport", "tcp", "-n", "2", "-tls", "-mech", "SCRAM-SHA-256"},
		{"-scenario", "login", "-transport", "tcp", "-n", "2", "-mech", "PLAIN", "-source-addrs", "127.0.0.2,127.0.0.3"},
		{"-scenario", "echo", "-transport", "tcp-tcp", "-pairs", "2", "-msgs", "10"},
		{"-scenario", "idle", "-transport", "tcp", "-n", "4", "-duration", "0s"},
		{"-scenario", "login", "-transport", "bosh", "-n", "4", "-c", "2"},
		{"-scenario", "echo", "-transport", "bosh-bosh", "-pairs", "2", "-msgs", "10"},
		{"-scenario", "echo", "-transport", "bosh-tcp", "-pairs", "1", "-msgs", "10"},
		{"-scenario", "idle", "-transport", "bosh", "-n", "4", "-duration", "0s", "-wait", "5s"},
	}
	for _, args := range cases {
		t.Run(args[1]+"-"+args[3], func(t *testing.T) {
			if bosh == "" && (args[3] != "tcp" && args[3] != "tcp-tcp") {
				t.Fatal("the app started no HTTP listener, so there is no BOSH endpoint to load")
			}
			args = append(args, "-c2s", c2s, "-password", "pw", "-pid", fmt.Sprint(os.Getpid()),
				"-timeout", "60s", "-login-timeout", "20s")
			if bosh != "" {
				args = append(args, "-bosh", bosh)
			}
			o, err := parseOptions(args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			res, err := execute(context.Background(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			want := o.N
			if o.Scenario == "echo" {
				want = o.Pairs * o.Msgs
			}
			if res.Errors != 0 || res.OK != want {
				t.Fatalf("ok %d (want %d), %d errors, first: %s", res.OK, want, res.Errors, res.FirstErr)
			}
			if res.Login.Count != o.sessions() || res.Server == nil {
				t.Fatalf("login samples %d of %d, server stats %v", res.Login.Count, o.sessions(), res.Server)
			}
			if o.Scenario == "echo" && res.Message.Count != want {
				t.Fatalf("message samples %d of %d", res.Message.Count, want)
			}
		})
	}
}
