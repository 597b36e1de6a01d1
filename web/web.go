// Package web serves Parley's bundled web client: Converse.js, embedded in
// the binary and configured by the server, so that a browser pointed at the
// server gets a working chat client with nothing fetched from elsewhere.
//
// The client files are copied into bundle/ at build time by build.sh (make
// web). A binary built without them still works: the page then says that the
// web client was not included and how to include it, and Included reports
// false.
//
// Routes (see Routes):
//
//	GET /                              the client page (no-cache)
//	GET {BOSHPath}                     the same page (POST stays BOSH)
//	GET /web/{version}/...             client files (immutable, gzip)
//	GET /.well-known/host-meta[.json]  XEP-0156 connection discovery
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed all:bundle
var bundleFS embed.FS

//go:embed static
var staticFS embed.FS

// AssetsPrefix is the path under which the client files are served, followed
// by the version and a slash.
const AssetsPrefix = "/web/"

// Config is what the server tells the web client.
type Config struct {
	// Title is the page title; "Parley" when empty.
	Title string
	// BOSHPath is the path of the BOSH endpoint, "/http-bind" when empty.
	BOSHPath string
	// WebSocketPath, when set, is advertised by XEP-0156 discovery.
	WebSocketPath string
	// Domains are the served XMPP domains; the first is the client's
	// default domain, and with exactly one it is also locked.
	Domains []string
	// Options are Converse.js settings an administrator passes through;
	// when set, it must be a JSON object. Its keys override Parley's.
	Options json.RawMessage
	// TrustedProxy reports whether r came through a reverse proxy whose
	// X-Forwarded-Proto header is honoured; nil trusts no one.
	TrustedProxy func(r *http.Request) bool
}

// Handler serves the web client. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	included bool
	client   string // Converse.js version, "" when not included
	version  string // versioned path segment
	settings map[string]any
	page     *template.Template
	assets   *assets
	mux      *http.ServeMux
}

// New checks cfg and prepares the handler for the embedded client.
func New(cfg Config) (*Handler, error) {
	bundle, err := fs.Sub(bundleFS, "bundle")
	if err != nil {
		return nil, err
	}
	return newHandler(cfg, bundle)
}

// newHandler prepares a handler serving the client files in bundle.
func newHandler(cfg Config, bundle fs.FS) (*Handler, error) {
	if cfg.Title == "" {
		cfg.Title = "Parley"
	}
	if cfg.BOSHPath == "" {
		cfg.BOSHPath = "/http-bind"
	}
	if !validPath(cfg.BOSHPath) {
		return nil, fmt.Errorf("web: BOSH path %q must start with / and hold only letters, digits and -._~/", cfg.BOSHPath)
	}
	if cfg.WebSocketPath != "" && !validPath(cfg.WebSocketPath) {
		return nil, fmt.Errorf("web: WebSocket path %q must start with / and hold only letters, digits and -._~/", cfg.WebSocketPath)
	}
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg}
	if err := h.load(bundle); err != nil {
		return nil, err
	}
	h.settings = h.defaultSettings()
	for k, v := range opts {
		h.settings[k] = v
	}
	h.mux = http.NewServeMux()
	h.Routes(h.mux)
	return h, nil
}

// validPath reports whether p is an absolute URL path of unreserved
// characters (RFC 3986 §2.3), other than "/" and the asset prefix.
func validPath(p string) bool {
	if len(p) < 2 || p[0] != '/' || strings.HasPrefix(p+"/", AssetsPrefix) || strings.Contains(p, "//") {
		return false
	}
	for _, c := range p {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~/", c)
		if !ok {
			return false
		}
	}
	return true
}

// ValidateOptions reports whether raw is acceptable as Config.Options:
// empty, or one JSON object. `parley check` can use it to report a bad
// [web] options value before the server starts.
func ValidateOptions(raw json.RawMessage) error {
	_, err := parseOptions(raw)
	return err
}

// parseOptions validates the administrator's pass-through options.
func parseOptions(raw json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var opts map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&opts); err != nil {
		return nil, fmt.Errorf("web: options must be a JSON object: %w", err)
	}
	if opts == nil {
		return nil, errors.New("web: options must be a JSON object, not null")
	}
	if dec.More() {
		return nil, errors.New("web: options must be a single JSON object")
	}
	return opts, nil
}

// load reads the bundle's version stamp, parses the page templates and
// derives the versioned asset path from the content of every served file.
func (h *Handler) load(bundle fs.FS) error {
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return err
	}
	if stamp, err := fs.ReadFile(bundle, "VERSION"); err == nil {
		h.client = strings.TrimPrefix(strings.TrimSpace(string(stamp)), "converse.js ")
		_, statErr := fs.Stat(bundle, "converse.min.js")
		h.included = statErr == nil
	}
	name := "index.html"
	if !h.included {
		name = "placeholder.html"
		bundle, h.client = nil, ""
	}
	h.page, err = template.ParseFS(static, name)
	if err != nil {
		return fmt.Errorf("web: page template: %w", err)
	}
	h.assets, err = newAssets(static, bundle)
	if err != nil {
		return err
	}
	h.version = h.versionTag()
	return nil
}

// versionTag names the asset directory: the client version plus a digest
// of the served files, so any change gets new URLs.
func (h *Handler) versionTag() string {
	sum := sha256.New()
	for _, name := range h.assets.names() {
		a := h.assets.files[name]
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(a.data))
		sum.Write(a.data)
	}
	digest := hex.EncodeToString(sum.Sum(nil))[:10]
	if h.client == "" {
		return "none-" + digest
	}
	return h.client + "-" + digest
}

// Included reports whether the binary carries the web client.
func (h *Handler) Included() bool { return h.included }

// ClientVersion is the bundled Converse.js version, "" when not included.
func (h *Handler) ClientVersion() string { return h.client }

// Version is the versioned path segment of the assets, e.g. "14.0.0-1a2b3c4d5e".
func (h *Handler) Version() string { return h.version }

// AssetsPath is the absolute path of the versioned asset directory, without
// a trailing slash.
func (h *Handler) AssetsPath() string { return AssetsPrefix + h.version }
