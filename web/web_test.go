package web

import (
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeBundle stands in for a built client, so the tests do not depend on
// whether web/build.sh ran.
func fakeBundle() fstest.MapFS {
	big := strings.Repeat("export const x = 'converse';\n", 200)
	return fstest.MapFS{
		"README.txt":                     {Data: []byte("readme")},
		"VERSION":                        {Data: []byte("converse.js 14.0.0\n")},
		"LICENSE":                        {Data: []byte("Mozilla Public License Version 2.0\n")},
		"converse.min.js":                {Data: []byte(big)},
		"converse.min.css":               {Data: []byte("body{}")},
		"emoji.json":                     {Data: []byte("{}")},
		"webfonts/muli.ttf":              {Data: []byte("ttf")},
		"images/logo/conversejs.png":     {Data: []byte("\x89PNG")},
		"chunkjs/locales/de-po.js":       {Data: []byte("export default {}")},
		"chunkjs/locales/dayjs/de-js.js": {Data: []byte("export default {}")},
	}
}

func newTest(t *testing.T, cfg Config, bundle fstest.MapFS) *Handler {
	t.Helper()
	h, err := newHandler(cfg, bundle)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var configRE = regexp.MustCompile(`(?s)<script type="application/json" id="parley-config">(.*?)</script>`)

// pageConfig extracts the injected Converse.js settings of a page.
func pageConfig(t *testing.T, page string) map[string]any {
	t.Helper()
	m := configRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no configuration block in page:\n%s", page)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatalf("configuration is not JSON: %v\n%s", err, m[1])
	}
	return cfg
}

func TestPageHeadersAndConfig(t *testing.T) {
	h := newTest(t, Config{Title: "Chat <here>", Domains: []string{"example.org"}}, fakeBundle())
	if !h.Included() || h.ClientVersion() != "14.0.0" {
		t.Fatalf("Included=%v ClientVersion=%q", h.Included(), h.ClientVersion())
	}
	for _, path := range []string{"/", "/http-bind"} {
		resp := get(t, h, path)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		want := map[string]string{
			"Content-Type":            "text/html; charset=utf-8",
			"Cache-Control":           "no-cache",
			"Content-Security-Policy": CSP,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"X-Frame-Options":         "DENY",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		page := body(t, resp)
		if !strings.Contains(page, "<title>Chat &lt;here&gt;</title>") {
			t.Errorf("title not escaped:\n%s", page)
		}
		cfg := pageConfig(t, page)
		wantCfg := map[string]any{
			"bosh_service_url":            "./http-bind",
			"assets_path":                 "./web/" + h.Version(),
			"default_domain":              "example.org",
			"locked_domain":               "example.org",
			"view_mode":                   "fullscreen",
			"auto_reconnect":              true,
			"keepalive":                   true,
			"authentication":              "login",
			"discover_connection_methods": false,
		}
		for k, v := range wantCfg {
			if cfg[k] != v {
				t.Errorf("GET %s: %s = %#v, want %#v", path, k, cfg[k], v)
			}
		}
		src := `src="./web/` + h.Version() + `/parley.js"`
		if !strings.Contains(page, `<script type="module" `+src+`></script>`) {
			t.Errorf("page does not load %s:\n%s", src, page)
		}
	}
}

func TestPageCSPAllowsNoInlineScript(t *testing.T) {
	h := newTest(t, Config{}, fakeBundle())
	page := body(t, get(t, h, "/"))
	// Every executable script is external: the only inline one is the
	// JSON data block, which CSP does not govern.
	for _, m := range regexp.MustCompile(`<script([^>]*)>([^<]*)</script>`).FindAllStringSubmatch(page, -1) {
		if strings.TrimSpace(m[2]) != "" && !strings.Contains(m[1], `type="application/json"`) {
			t.Errorf("inline script %q would need 'unsafe-inline'", m[0])
		}
	}
	for _, bad := range []string{"unsafe-eval", "http:", "https:", "*"} {
		if strings.Contains(CSP, bad) {
			t.Errorf("CSP allows %q: %s", bad, CSP)
		}
	}
	for _, d := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(CSP, d) {
			t.Errorf("CSP lacks %q", d)
		}
	}
}

func TestPageConfigDomainsAndPaths(t *testing.T) {
	h := newTest(t, Config{Domains: []string{"a.example", "b.example"}, BOSHPath: "/xmpp/bosh"}, fakeBundle())
	cfg := pageConfig(t, body(t, get(t, h, "/")))
	if cfg["default_domain"] != "a.example" || cfg["locked_domain"] != nil {
		t.Errorf("two domains: default %v locked %v", cfg["default_domain"], cfg["locked_domain"])
	}
	if cfg["bosh_service_url"] != "./xmpp/bosh" {
		t.Errorf("from /: bosh_service_url %v", cfg["bosh_service_url"])
	}
	cfg = pageConfig(t, body(t, get(t, h, "/xmpp/bosh")))
	if cfg["bosh_service_url"] != "../xmpp/bosh" || cfg["assets_path"] != "../web/"+h.Version() {
		t.Errorf("from /xmpp/bosh: %v %v", cfg["bosh_service_url"], cfg["assets_path"])
	}
}

func TestAdminOptions(t *testing.T) {
	opts := json.RawMessage(`{"loglevel":"debug","view_mode":"embedded","x":"</script><script>alert(1)</script>"}`)
	h := newTest(t, Config{Options: opts}, fakeBundle())
	page := body(t, get(t, h, "/"))
	if strings.Count(page, "</script>") != 2 {
		t.Fatalf("option broke out of its script element:\n%s", page)
	}
	cfg := pageConfig(t, page)
	if cfg["loglevel"] != "debug" || cfg["view_mode"] != "embedded" || cfg["keepalive"] != true {
		t.Errorf("options not merged on top: %v", cfg)
	}
	for _, bad := range []string{`[1]`, `"x"`, `null`, `{"a":1} {"b":2}`, `{"a":`, `{'a':1}`} {
		if _, err := newHandler(Config{Options: json.RawMessage(bad)}, fakeBundle()); err == nil {
			t.Errorf("options %s accepted", bad)
		}
		if ValidateOptions(json.RawMessage(bad)) == nil {
			t.Errorf("ValidateOptions(%s) = nil", bad)
		}
	}
	if _, err := newHandler(Config{Options: json.RawMessage(" ")}, fakeBundle()); err != nil {
		t.Errorf("empty options: %v", err)
	}
}

func TestBadPaths(t *testing.T) {
	for _, p := range []string{"http-bind", "/", "/web", "/web/x", "/a b", "/{x}", "//x"} {
		if _, err := newHandler(Config{BOSHPath: p}, fakeBundle()); err == nil {
			t.Errorf("BOSH path %q accepted", p)
		}
	}
}

func TestAssets(t *testing.T) {
	h := newTest(t, Config{}, fakeBundle())
	base := "/web/" + h.Version() + "/"
	resp := get(t, h, base+"converse.min.js", "Accept-Encoding", "gzip, deflate")
	if resp.StatusCode != 200 {
		t.Fatalf("GET converse.min.js: %s", resp.Status)
	}
	want := map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "public, max-age=31536000, immutable",
		"Content-Encoding":       "gzip",
		"Vary":                   "Accept-Encoding",
		"X-Content-Type-Options": "nosniff",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != string(fakeBundle()["converse.min.js"].Data) {
		t.Error("gzip body differs from the file")
	}
	// Without gzip, or refusing it, the plain file.
	for _, ae := range []string{"", "gzip;q=0", "br"} {
		resp = get(t, h, base+"converse.min.js", "Accept-Encoding", ae)
		if resp.Header.Get("Content-Encoding") != "" || len(body(t, resp)) != len(plain) {
			t.Errorf("Accept-Encoding %q: got encoding %q", ae, resp.Header.Get("Content-Encoding"))
		}
	}
	types := map[string]string{
		"converse.min.css":               "text/css; charset=utf-8",
		"parley.js":                      "text/javascript; charset=utf-8",
		"emoji.json":                     "application/json",
		"webfonts/muli.ttf":              "font/ttf",
		"images/logo/conversejs.png":     "image/png",
		"chunkjs/locales/dayjs/de-js.js": "text/javascript; charset=utf-8",
		"LICENSE":                        "text/plain; charset=utf-8",
	}
	for name, ct := range types {
		resp := get(t, h, base+name)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ct {
			t.Errorf("%s: %s %q, want %q", name, resp.Status, resp.Header.Get("Content-Type"), ct)
		}
	}
	resp = get(t, h, base+"converse.min.js", "If-None-Match", `"`+h.Version()+`"`)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s", resp.Status)
	}
	for _, p := range []string{"/web/0.0.0-old/converse.min.js", base + "README.txt", base + "index.html", base + "nope.js", base, "/web/"} {
		if resp := get(t, h, p); resp.StatusCode != 404 {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
}

func TestVersionFollowsContent(t *testing.T) {
	b := fakeBundle()
	v1 := newTest(t, Config{}, b).Version()
	b["converse.min.js"] = &fstest.MapFile{Data: []byte("changed")}
	v2 := newTest(t, Config{}, b).Version()
	if v1 == v2 || !strings.HasPrefix(v1, "14.0.0-") {
		t.Errorf("versions %q and %q", v1, v2)
	}
}

func TestPlaceholderWhenNotBundled(t *testing.T) {
	h := newTest(t, Config{Title: "Parley"}, fstest.MapFS{"README.txt": {Data: []byte("readme")}})
	if h.Included() || h.ClientVersion() != "" {
		t.Fatalf("Included=%v ClientVersion=%q", h.Included(), h.ClientVersion())
	}
	for _, path := range []string{"/", "/http-bind"} {
		resp := get(t, h, path)
		page := body(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(page, "without its web client") || !strings.Contains(page, "make web") {
			t.Errorf("GET %s: %s\n%s", path, resp.Status, page)
		}
		if resp.Header.Get("Content-Security-Policy") != CSP {
			t.Errorf("GET %s: no CSP", path)
		}
		if strings.Contains(page, "parley.js") {
			t.Errorf("placeholder loads the client")
		}
	}
	if resp := get(t, h, "/web/"+h.Version()+"/parley.css"); resp.StatusCode != 200 {
		t.Errorf("placeholder stylesheet: %s", resp.Status)
	}
	if resp := get(t, h, "/web/"+h.Version()+"/converse.min.js"); resp.StatusCode != 404 {
		t.Errorf("converse.min.js without bundle: %s", resp.Status)
	}
}

func TestEmbeddedBundle(t *testing.T) {
	h, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("embedded web client included: %v (version %q)", h.Included(), h.Version())
	if resp := get(t, h, "/"); resp.StatusCode != 200 {
		t.Errorf("GET /: %s", resp.Status)
	}
}

func TestHostMeta(t *testing.T) {
	trusted := func(r *http.Request) bool { return r.RemoteAddr == "10.0.0.1:1234" }
	h := newTest(t, Config{TrustedProxy: trusted, WebSocketPath: "/xmpp-websocket"}, fakeBundle())

	resp := get(t, h, HostMetaPath)
	if ct := resp.Header.Get("Content-Type"); ct != "application/xrd+xml; charset=utf-8" {
		t.Errorf("XRD Content-Type %q", ct)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("XRD without CORS")
	}
	var doc struct {
		XMLName xml.Name
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"Link"`
	}
	if err := xml.Unmarshal([]byte(body(t, resp)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != "http://docs.oasis-open.org/ns/xri/xrd-1.0" || doc.XMLName.Local != "XRD" {
		t.Errorf("root %v", doc.XMLName)
	}
	want := map[string]string{RelBOSH: "http://example.com/http-bind", RelWebSocket: "ws://example.com/xmpp-websocket"}
	for _, l := range doc.Links {
		if want[l.Rel] != l.Href {
			t.Errorf("XRD link %s = %s, want %s", l.Rel, l.Href, want[l.Rel])
		}
		delete(want, l.Rel)
	}
	if len(want) != 0 {
		t.Errorf("XRD lacks %v", want)
	}

	// JRD behind a trusted proxy on a non-default port.
	r := httptest.NewRequest(http.MethodGet, HostMetaJSONPath, nil)
	r.Host = "Chat.Example.org:8443"
	r.RemoteAddr = "10.0.0.1:1234"
	r.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var j struct{ Links []struct{ Rel, Href string } }
	if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("JRD headers %v", w.Header())
	}
	if len(j.Links) != 2 || j.Links[0].Rel != RelBOSH || j.Links[0].Href != "https://chat.example.org:8443/http-bind" ||
		j.Links[1].Href != "wss://chat.example.org:8443/xmpp-websocket" {
		t.Errorf("JRD links %+v", j.Links)
	}

	// An untrusted peer's X-Forwarded-Proto is ignored.
	resp = get(t, h, HostMetaJSONPath, "X-Forwarded-Proto", "https")
	if b := body(t, resp); !strings.Contains(b, `"http://example.com/http-bind"`) {
		t.Errorf("untrusted X-Forwarded-Proto honoured: %s", b)
	}

	// CORS preflight.
	r = httptest.NewRequest(http.MethodOptions, HostMetaPath, nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", w.Code, w.Header())
	}
	// CORS is limited to host-meta (XEP-0156 §3).
	if get(t, h, "/").Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("page carries CORS headers")
	}
	// A malformed Host is refused.
	r = httptest.NewRequest(http.MethodGet, HostMetaPath, nil)
	r.Host = "evil.example/x?"
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("bad Host: %d", w.Code)
	}
}

func TestRoutesLeaveBOSHPost(t *testing.T) {
	h := newTest(t, Config{}, fakeBundle())
	mux := http.NewServeMux()
	h.Routes(mux)
	mux.HandleFunc("/http-bind", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r := httptest.NewRequest(http.MethodPost, "/http-bind", strings.NewReader("<body/>"))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusTeapot {
		t.Errorf("POST /http-bind went to the web client: %d", w.Code)
	}
	if resp := get(t, mux, "/http-bind"); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /http-bind: %s", resp.Status)
	}
	r = httptest.NewRequest(http.MethodHead, "/", nil)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD /: %d, %d bytes", w.Code, w.Body.Len())
	}
}
