// Package web tests the bundled web client in the system's headless
// Chromium, driven by playwright-core from browser.mjs.
//
// The tests skip when Chromium (/usr/bin/chromium, or PARLEY_CHROMIUM) or
// Node.js is missing, or when the web client was not bundled (make web);
// PARLEY_REQUIRE_BROWSER=1 or CI=true turns those skips into failures.
package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/internal/testserver"
)

// options are browser.mjs's argument.
type options struct {
	URL       string `json:"url"`
	Mode      string `json:"mode"` // "smoke" or "chat"
	JID       string `json:"jid,omitempty"`
	Password  string `json:"password,omitempty"`
	Contact   string `json:"contact,omitempty"`
	Send      string `json:"send,omitempty"`
	Expect    string `json:"expect,omitempty"`
	Artifacts string `json:"artifacts,omitempty"`
	Chromium  string `json:"chromium"`
	TimeoutMS int    `json:"timeoutMs,omitempty"`
	Debug     bool   `json:"debug,omitempty"` // log BOSH bodies
}

// result is browser.mjs's last line.
type result struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error"`
	Checks  []string `json:"checks"`
	Foreign []string `json:"foreign"`
	Errors  []string `json:"errors"`
	// XMPPErrors are error replies Converse.js logged to the console for
	// features the server lacks; the user sees none of them.
	XMPPErrors []string `json:"xmppErrors"`
	CSP        []string `json:"csp"`
	SIDs       []string `json:"sids"`
	SASL       int      `json:"sasl"`
	Creates    int      `json:"creates"`
}

// browser finds Chromium and Node.js and installs playwright-core from the
// lockfile when node_modules is missing. It returns Chromium's path.
func browser(t *testing.T) string {
	t.Helper()
	chromium := testserver.Chromium(t)
	testserver.NodeModules(t, "playwright-core")
	return chromium
}

// artifactsDir is where screenshots go: test/web/artifacts, or
// PARLEY_ARTIFACTS_DIR.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PARLEY_ARTIFACTS_DIR")
	if dir == "" {
		abs, err := filepath.Abs("artifacts")
		if err != nil {
			t.Fatal(err)
		}
		dir = abs
	}
	return dir
}

// runBrowser starts browser.mjs with o and returns a wait function that
// yields its result once it exits. Its output goes to the test log.
func runBrowser(t *testing.T, ctx context.Context, o options) (wait func() result) {
	t.Helper()
	o.Debug = o.Debug || os.Getenv("PARLEY_BROWSER_DEBUG") == "1"
	arg, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "node", "browser.mjs", string(arg))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &testWriter{t: t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan result, 1)
	go func() {
		var last result
		var raw string
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 1<<22)
		for sc.Scan() {
			line := sc.Text()
			if js, ok := strings.CutPrefix(line, "RESULT "); ok {
				raw = js
				continue
			}
			t.Log("browser: " + line)
		}
		io.Copy(io.Discard, stdout)
		if raw == "" || json.Unmarshal([]byte(raw), &last) != nil {
			last = result{Error: "browser.mjs printed no RESULT line"}
		}
		lines <- last
	}()
	return func() result {
		r := <-lines
		if err := cmd.Wait(); err != nil && r.OK {
			r.OK, r.Error = false, "browser.mjs: "+err.Error()
		}
		return r
	}
}

// testWriter logs each write as a test log line.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log("browser stderr: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// check fails t with r's error and diagnostics when r did not pass.
func check(t *testing.T, r result) {
	t.Helper()
	for _, e := range r.XMPPErrors {
		t.Logf("error reply logged by the client (unsupported feature): %s", e)
	}
	if r.OK {
		return
	}
	t.Errorf("browser: %s", r.Error)
	for _, u := range r.Foreign {
		t.Errorf("request left the origin: %s", u)
	}
	for _, e := range r.Errors {
		t.Errorf("page error: %s", e)
	}
	for _, c := range r.CSP {
		t.Errorf("CSP violation: %s", c)
	}
}
