package main

import (
	"io"
	"strings"
	"testing"
)

func TestOptionsRefuseNonLoopback(t *testing.T) {
	bad := [][]string{
		{"-c2s", "10.0.0.1:5222"},
		{"-c2s", "example.com:5222"},
		{"-c2s", "[2001:db8::1]:5222"},
		{"-bosh", "http://192.168.1.1:5280/http-bind"},
		{"-bosh", "https://xmpp.example.org/http-bind"},
		{"-source-addrs", "127.0.0.2,10.1.1.1"},
	}
	for _, args := range bad {
		_, err := parseOptions(args, io.Discard)
		if err == nil {
			t.Errorf("%v accepted", args)
			continue
		}
		if strings.Contains(args[1], "10.1.1.1") {
			continue
		}
		if !strings.Contains(err.Error(), "non-loopback") {
			t.Errorf("%v: error %q does not say non-loopback", args, err)
		}
	}
}

func TestOptionsAcceptLoopback(t *testing.T) {
	good := [][]string{
		{"-c2s", "127.0.0.1:5222", "-bosh", "http://127.0.0.1:5280/http-bind"},
		{"-c2s", "127.9.8.7:1", "-bosh", "https://localhost:5443/http-bind"},
		{"-c2s", "[::1]:5222", "-bosh", "http://[::1]:5280/b"},
		{"-c2s", "LOCALHOST:5222", "-source-addrs", "127.0.0.2, 127.0.0.3"},
		{"-scenario", "echo", "-transport", "bosh-tcp"},
		{"-scenario", "idle"},
	}
	for _, args := range good {
		o, err := parseOptions(args, io.Discard)
		if err != nil {
			t.Errorf("%v: %v", args, err)
			continue
		}
		if o.Transport == "" {
			t.Errorf("%v: no transport chosen", args)
		}
	}
}

func TestOptionsBounds(t *testing.T) {
	bad := [][]string{
		{"-scenario", "flood"},
		{"-scenario", "login", "-transport", "tcp-tcp"},
		{"-scenario", "echo", "-transport", "tcp"},
		{"-n", "0"}, {"-n", "100000000"}, {"-c", "0"}, {"-procs", "1000"},
		{"-timeout", "0s"}, {"-wait", "1500ms"}, {"-mech", "DIGEST-MD5"},
		{"-duration", "-1s"}, {"extra"},
	}
	for _, args := range bad {
		if _, err := parseOptions(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestAccountSpread(t *testing.T) {
	o, err := parseOptions([]string{"-n", "10", "-accounts", "3", "-first", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a := o.account(4)
	if a.user != "load6" || a.resource != "load-4" || a.domain != "localhost" {
		t.Fatalf("account(4) = %+v", a)
	}
	o.Accounts = 0
	if o.account(9).user != "load14" {
		t.Fatalf("account(9) = %+v", o.account(9))
	}
}

func TestChildArgsRoundTrip(t *testing.T) {
	o, err := parseOptions([]string{"-scenario", "echo", "-transport", "bosh-tcp", "-pairs", "8",
		"-procs", "2", "-source-addrs", "127.0.0.2,127.0.0.3", "-json", "-pid", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	args := o.childArgs(1, 2)
	if o.Procs != 2 || o.Transport != "bosh-tcp" {
		t.Fatalf("childArgs changed the options: %+v", o)
	}
	c, err := parseOptions(args, io.Discard)
	if err != nil {
		t.Fatalf("child args %v: %v", args, err)
	}
	if c.Shard != 1 || c.Shards != 2 || c.Procs != 1 || c.JSON || c.Pairs != 8 ||
		c.Transport != "bosh-tcp" || c.SourceAddrs != "127.0.0.2,127.0.0.3" || c.PID != 1 {
		t.Fatalf("child options %+v from %v", c, args)
	}
}

func TestCPUProfileFlag(t *testing.T) {
	var out strings.Builder
	if _, err := parseOptions([]string{"-h"}, &out); err == nil {
		t.Fatal("-h: no ErrHelp")
	}
	if strings.Contains(out.String(), "cpuprofile") || !strings.Contains(out.String(), "-scenario") {
		t.Fatalf("usage:\n%s", out.String())
	}
	o, err := parseOptions([]string{"-cpuprofile", "/tmp/x.prof", "-procs", "2", "-n", "4"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseOptions(o.childArgs(1, 2), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.CPUProfile != "/tmp/x.prof.1" {
		t.Fatalf("child -cpuprofile %q", c.CPUProfile)
	}
	o.CPUProfile = ""
	if c, _ := parseOptions(o.childArgs(0, 2), io.Discard); c == nil || c.CPUProfile != "" {
		t.Fatalf("child of no profile: %+v", c)
	}
}
