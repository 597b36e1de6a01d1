package main

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func windows(t0 time.Time) map[string]sample {
	return map[string]sample{
		"before": {At: t0, CPU: 0, RSSKB: 10_000},
		"start":  {At: t0.Add(time.Second), CPU: time.Second, RSSKB: 20_000},
		"end":    {At: t0.Add(3 * time.Second), CPU: 1500 * time.Millisecond, RSSKB: 22_000},
	}
}

func TestFinalizeLoginJSON(t *testing.T) {
	o, err := parseOptions([]string{"-n", "4", "-pid", "42", "-transport", "bosh"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := raw{OK: 4, Errors: 1, FirstErr: "boom", LoginUS: []int64{4000, 1000, 3000, 2000}}
	res := finalize(o, r, windows(time.Unix(0, 0)))
	var buf bytes.Buffer
	if err := writeJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1 || !strings.HasSuffix(buf.String(), "}\n") {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"scenario": "login", "transport": "bosh", "sessions": 4.0, "ok": 4.0,
		"errors": 1.0, "first_error": "boom", "elapsed_s": 2.0, "rate_per_s": 2.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	lat := got["login_latency"].(map[string]any)
	if lat["p50_ms"] != 2.0 || lat["p99_ms"] != 4.0 || lat["count"] != 4.0 {
		t.Errorf("login_latency = %v", lat)
	}
	srv := got["server"].(map[string]any)
	// 500 ms of server CPU over 4 logins.
	if srv["cpu_ms"] != 500.0 || srv["cpu_per_op_us"] != 125000.0 || srv["pid"] != 42.0 {
		t.Errorf("server = %v", srv)
	}
	if _, ok := got["message_latency"]; ok {
		t.Error("message_latency in a login report")
	}
}

func TestFinalizeIdle(t *testing.T) {
	o, err := parseOptions([]string{"-scenario", "idle", "-n", "100", "-pid", "1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res := finalize(o, raw{OK: 100}, windows(time.Unix(0, 0)))
	s := res.Server
	// (22000 - 10000) KB over 100 sessions; 500 ms CPU over 2 s = 25 %.
	if s.RSSPerSess != 120 || s.IdleCPUPct != 25 || s.RSSStartKB != 10_000 || s.RSSEndKB != 22_000 {
		t.Fatalf("idle server stats %+v", *s)
	}
	var buf bytes.Buffer
	writeTable(&buf, res)
	for _, w := range []string{"idle over bosh", "120.00 KB", "25.00 %"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, buf.String())
		}
	}
}

func TestFinalizeEchoWithoutPID(t *testing.T) {
	o, err := parseOptions([]string{"-scenario", "echo", "-pairs", "2", "-msgs", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var r raw
	r.merge(raw{OK: 3, MsgUS: []int64{100, 200, 300}, ClientCPU: 1})
	r.merge(raw{OK: 3, Errors: 1, FirstErr: "late", MsgUS: []int64{400, 500, 600}, ClientCPU: 2})
	res := finalize(o, r, windows(time.Unix(0, 0)))
	if res.Server != nil || res.Message == nil || res.Message.Count != 6 || res.Message.Max != 0.6 ||
		res.ClientCPUMs != 3 || res.FirstErr != "late" || res.Rate != 3 {
		t.Fatalf("echo result %+v message %+v", res, res.Message)
	}
}
