package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
)

// CSP is the Content-Security-Policy of every response of the handler. It
// allows what Converse.js needs and nothing from another origin:
//   - scripts only from files of this origin ('self'): the page's
//     configuration is a JSON data block, which is not a script, and the
//     client's chunks are ES modules of this origin; no eval, no
//     'wasm-unsafe-eval' (only OMEMO needs WebAssembly, and it is disabled);
//   - styles from our files plus 'unsafe-inline': converse.min.js inserts
//     <style> elements at run time (its bundled component styles) and its
//     templates bind style attributes; without 'unsafe-inline' Chromium
//     reports style-src-elem violations and the client renders unstyled.
//     A nonce cannot cover elements a script creates; inline styles cannot
//     run code;
//   - images from this origin, data: (avatars from vCards, XEP-0084/0153,
//     are rendered as data: URIs) and blob: (previews of a chosen file);
//   - fonts, sounds and connections (BOSH, WebSocket, emoji.json) from
//     this origin only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self'; media-src 'self'; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// blacklisted are the Converse.js plugins left out because they need server
// features Parley does not offer: OMEMO (PEP device lists, and its crypto
// library is not bundled), push (XEP-0357), in-band registration
// (XEP-0077) and ad-hoc commands (XEP-0050). The MUC and bookmark plugins
// stay loaded, because other plugins use their classes; they find no MUC
// service through disco and stay idle.
var blacklisted = []string{
	"converse-omemo", "converse-omemo-views",
	"converse-push", "converse-register",
	"converse-adhoc", "converse-adhoc-views",
}

// defaultSettings are Parley's Converse.js settings; the per-request ones
// (bosh_service_url, assets_path) are added by settingsFor.
func (h *Handler) defaultSettings() map[string]any {
	s := map[string]any{
		"view_mode":                   "fullscreen",
		"authentication":              "login",
		"auto_reconnect":              true,
		"keepalive":                   true, // BOSH session resumed across reloads
		"discover_connection_methods": false,
		"show_connection_url_input":   false,
		"allow_registration":          false,
		"blacklisted_plugins":         blacklisted,
		"allow_bookmarks":             false,
		"allow_muc_invitations":       false,
		"auto_list_rooms":             false,
		"omemo_default":               false,
		"enable_smacks":               false,
		"show_client_info":            false,
		"loglevel":                    "warn",
		// Nothing from other origins: system emojis rather than Twemoji
		// images, links rather than embedded remote media, no provider lists.
		"use_system_emojis":             true,
		"render_media":                  false,
		"show_images_inline":            false,
		"embed_3rd_party_media_players": false,
		"fetch_url_headers":             false,
		"allowed_image_domains":         []string{},
		"allowed_audio_domains":         []string{},
		"allowed_video_domains":         []string{},
		"autocomplete_providers_url":    "",
		"xmpp_providers_url":            "",
	}
	if len(h.cfg.Domains) > 0 {
		s["default_domain"] = h.cfg.Domains[0]
		s["domain_placeholder"] = h.cfg.Domains[0]
	}
	if len(h.cfg.Domains) == 1 {
		s["locked_domain"] = h.cfg.Domains[0]
	}
	return s
}

// relRoot is the relative path from the document at urlPath to the root of
// the site ("./" or "../.."), so that the page works unchanged behind a
// reverse proxy that mounts the server under a prefix.
func relRoot(urlPath string) string {
	n := strings.Count(strings.TrimPrefix(urlPath, "/"), "/")
	if n == 0 {
		return "./"
	}
	return strings.Repeat("../", n)
}

// settingsFor returns the settings of the page at urlPath as JSON, safe to
// embed in HTML (json.Marshal escapes <, > and &).
func (h *Handler) settingsFor(urlPath string) ([]byte, error) {
	root := relRoot(urlPath)
	s := make(map[string]any, len(h.settings)+2)
	s["bosh_service_url"] = root + strings.TrimPrefix(h.cfg.BOSHPath, "/")
	s["assets_path"] = root + strings.TrimPrefix(h.AssetsPath(), "/")
	for k, v := range h.settings {
		s[k] = v // the administrator's options may override the two above
	}
	return json.Marshal(s)
}

// pageData fills the page templates.
type pageData struct {
	Title    string
	Assets   string
	BOSHPath string
	Config   template.JS
}

// ServePage serves the client page (or, without the client, the page that
// says how to include it). The composition root routes GET on / and on the
// BOSH path here.
func (h *Handler) ServePage(w http.ResponseWriter, r *http.Request) {
	settings, err := h.settingsFor(r.URL.Path)
	if err != nil {
		http.Error(w, "web client configuration", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	err = h.page.Execute(&b, pageData{
		Title:    h.cfg.Title,
		Assets:   relRoot(r.URL.Path) + strings.TrimPrefix(h.AssetsPath(), "/"),
		BOSHPath: h.cfg.BOSHPath,
		Config:   template.JS(settings),
	})
	if err != nil {
		http.Error(w, "web client page", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	h.securityHeaders(w)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

// securityHeaders sets the headers every response carries.
func (h *Handler) securityHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", CSP)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
}

// Routes registers the handler's routes on mux. The BOSH endpoint's other
// methods (POST, OPTIONS) remain free for the BOSH handler.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.ServePage)
	mux.HandleFunc("GET "+h.cfg.BOSHPath, h.ServePage)
	mux.HandleFunc("GET "+AssetsPrefix, h.serveAsset)
	mux.HandleFunc("GET "+HostMetaPath, h.ServeHostMeta)
	mux.HandleFunc("OPTIONS "+HostMetaPath, h.ServeHostMeta)
	mux.HandleFunc("GET "+HostMetaJSONPath, h.ServeHostMeta)
	mux.HandleFunc("OPTIONS "+HostMetaJSONPath, h.ServeHostMeta)
}

// ServeHTTP serves every route of Routes on its own; other paths are 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}
