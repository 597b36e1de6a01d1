package testserver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RequireBrowser reports whether the tests that need Node.js or Chromium
// must run: under PARLEY_REQUIRE_BROWSER=1 or in CI (CI=true).
func RequireBrowser() bool {
	return os.Getenv("PARLEY_REQUIRE_BROWSER") == "1" || os.Getenv("CI") == "true"
}

// Unavailable skips the test because a tool it needs is missing, or
// fails it when RequireBrowser.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireBrowser() {
		t.Fatalf("PARLEY_REQUIRE_BROWSER=1 or CI=true: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Chromium returns the path of the system's Chromium (PARLEY_CHROMIUM, or
// /usr/bin/chromium), calling Unavailable when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	chromium := os.Getenv("PARLEY_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		Unavailable(t, "no Chromium at %s (apt-get install chromium)", chromium)
	}
	return chromium
}

// NodeModules makes sure node is in PATH and that the Node.js package
// module is installed in the test's directory: when
// node_modules/MODULE/package.json is missing it runs `npm ci` there from
// the committed lockfile, once per test binary. It never runs install
// scripts (so it never downloads a browser). Anything missing calls
// Unavailable.
func NodeModules(t testing.TB, module string) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		Unavailable(t, "no node in PATH (apt-get install nodejs npm)")
	}
	v, _ := installs.LoadOrStore(module, &install{})
	in := v.(*install)
	in.once.Do(func() { in.err = npmCI(module) })
	if in.err != nil {
		Unavailable(t, "%s: %v", module, in.err)
	}
}

// install is the outcome of one `npm ci`.
type install struct {
	once sync.Once
	err  error
}

// installs maps a module name to its *install.
var installs sync.Map

// npmCI runs `npm ci` in the current directory when module is missing.
func npmCI(module string) error {
	if _, err := os.Stat(filepath.Join("node_modules", module, "package.json")); err == nil {
		return nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return errors.New("node_modules missing and no npm to install it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund").CombinedOutput()
	if err != nil {
		return errors.New("npm ci: " + err.Error() + ": " + string(out))
	}
	return nil
}
