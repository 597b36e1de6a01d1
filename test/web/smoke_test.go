package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/web"
)

// TestPageLoadsSameOrigin serves the web client alone (no XMPP server) and
// checks in Chromium that the page loads, Converse.js shows its login form,
// no request leaves the origin and the Content-Security-Policy is not
// violated.
func TestPageLoadsSameOrigin(t *testing.T) {
	chromium := browser(t)
	h, err := web.New(web.Config{Domains: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Included() {
		testserver.Unavailable(t, "the web client is not bundled (make web)")
	}
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wait := runBrowser(t, ctx, options{
		URL:       srv.URL + "/",
		Mode:      "smoke",
		Chromium:  chromium,
		Artifacts: artifactsDir(t),
	})
	r := wait()
	check(t, r)
	t.Logf("checks passed: %v", r.Checks)
}
