package web

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"strings"
)

// XEP-0156 host-meta locations (RFC 6415 §2 and Appendix A).
const (
	HostMetaPath     = "/.well-known/host-meta"
	HostMetaJSONPath = "/.well-known/host-meta.json"
)

// Link relations of XEP-0156 §2.1.
const (
	RelBOSH      = "urn:xmpp:alt-connections:xbosh"
	RelWebSocket = "urn:xmpp:alt-connections:websocket"
)

// xrd is the host-meta document (RFC 6415 §3, OASIS XRD 1.0).
type xrd struct {
	XMLName xml.Name  `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
	Links   []xrdLink `xml:"Link"`
}

type xrdLink struct {
	Rel  string `xml:"rel,attr" json:"rel"`
	Href string `xml:"href,attr" json:"href"`
}

// jrd is the JSON form of xrd (RFC 6415 Appendix A).
type jrd struct {
	Links []xrdLink `json:"links"`
}

// ServeHostMeta answers XEP-0156 discovery: the BOSH (and, when configured,
// WebSocket) URL of this server as seen by the client, in XRD at
// /.well-known/host-meta and JRD at /.well-known/host-meta.json, readable
// from any origin (XEP-0156 §3). Only these two documents carry CORS headers.
func (h *Handler) ServeHostMeta(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	h.securityHeaders(w)
	hdr.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		hdr.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		hdr.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	host, ok := requestHost(r)
	if !ok {
		http.Error(w, "bad Host header", http.StatusBadRequest)
		return
	}
	links := h.links(h.scheme(r), host)
	var body []byte
	if r.URL.Path == HostMetaJSONPath {
		hdr.Set("Content-Type", "application/json")
		body, _ = json.MarshalIndent(jrd{Links: links}, "", "  ")
	} else {
		hdr.Set("Content-Type", "application/xrd+xml; charset=utf-8")
		out, _ := xml.MarshalIndent(xrd{Links: links}, "", "  ")
		body = append([]byte(xml.Header), out...)
	}
	body = append(body, '\n')
	hdr.Set("Cache-Control", "public, max-age=300")
	hdr.Add("Vary", "X-Forwarded-Proto")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// links lists the connection methods at scheme://host.
func (h *Handler) links(scheme, host string) []xrdLink {
	links := []xrdLink{{Rel: RelBOSH, Href: scheme + "://" + host + h.cfg.BOSHPath}}
	if h.cfg.WebSocketPath != "" {
		ws := "ws"
		if scheme == "https" {
			ws = "wss"
		}
		links = append(links, xrdLink{Rel: RelWebSocket, Href: ws + "://" + host + h.cfg.WebSocketPath})
	}
	return links
}

// scheme is the scheme the client used: https on TLS, or what a trusted
// reverse proxy says in X-Forwarded-Proto.
func (h *Handler) scheme(r *http.Request) string {
	if h.cfg.TrustedProxy != nil && h.cfg.TrustedProxy(r) {
		switch p := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto"))); p {
		case "http", "https":
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestHost returns the request's Host, lower-cased, when it is a plain
// host name or IP literal with an optional port.
func requestHost(r *http.Request) (string, bool) {
	host := strings.ToLower(r.Host)
	if host == "" {
		return "", false
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil {
		name, port = host, ""
	}
	if port != "" {
		for _, c := range port {
			if c < '0' || c > '9' {
				return "", false
			}
		}
	}
	if strings.HasPrefix(name, "[") || strings.Contains(name, ":") {
		name = strings.Trim(name, "[]")
		if net.ParseIP(name) == nil {
			return "", false
		}
		return host, true
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
		if !ok {
			return "", false
		}
	}
	return host, name != ""
}
