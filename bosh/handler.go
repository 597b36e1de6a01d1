package bosh

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// defaultContentType is the Content-Type of every response of a session
// created without 'content' (XEP-0124 §7.1, B-195).
const defaultContentType = "text/xml; charset=utf-8"

// Handler is the BOSH endpoint: POST carries <body/> requests, OPTIONS
// answers CORS preflights, GET and HEAD show an info page (XEP-0124 §5).
type Handler struct {
	*Manager
	cfg      Config
	proxies  []*net.IPNet
	info     http.Handler
	poller   *poller    // nil: no adoption
	conns    connSet    // adopted connections
	returned *connQueue // where adopted connections go back to net/http
	stop     chan struct{}

	fdHigh     atomic.Int64 // adopted connections that trigger relieve; 0: never
	lastRelief atomic.Int64 // unix nanoseconds of the last pressure sweep
}

// NewHandler returns the endpoint for cfg (zero fields take the defaults)
// driving sessions of core.
func NewHandler(cfg Config, core Core, log zerolog.Logger) *Handler {
	cfg = cfg.withDefaults()
	h := &Handler{
		Manager: newManager(cfg, core, log),
		cfg:     cfg,
		proxies: parseProxies(cfg.TrustedProxies),
		stop:    make(chan struct{}),
	}
	if !cfg.NoAdopt {
		h.poller = newPoller()
	}
	if h.poller != nil {
		go h.sweepLoop(cfg.IdleTimeout, h.stop)
		if lim := openFileLimit(); lim > 0 && lim < 1<<30 {
			h.fdHigh.Store(int64(lim / 4 * 3))
		}
	}
	return h
}

// Shutdown answers every held request with system-shutdown and ends every
// session (Manager.Shutdown); adopted connections then close after their
// next answer. Close them all with Close once the HTTP servers are down.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.conns.mu.Lock()
	h.conns.closing = true
	h.conns.mu.Unlock()
	return h.Manager.Shutdown(ctx)
}

// Close closes every idle adopted connection and stops the poller and the
// returned-connection listener. Connections still reading a request close
// after answering it.
func (h *Handler) Close() {
	h.closeAdopted()
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	if h.poller != nil {
		h.poller.close()
	}
	if h.returned != nil {
		_ = h.returned.Close()
	}
}

// AdoptedConns returns how many HTTP/1.1 connections the handler serves
// itself now (adopt.go).
func (h *Handler) AdoptedConns() int { return h.conns.Len() }

// SetInfoHandler replaces the page served on GET (the web client, once it
// exists).
func (h *Handler) SetInfoHandler(info http.Handler) { h.info = info }

// Stats returns the counters.
func (h *Handler) Stats() *Stats { return &h.Manager.stats }

// Path returns the configured endpoint path.
func (h *Handler) Path() string { return h.cfg.Path }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.route(w, r, nil) && r.Method == http.MethodPost {
		h.adoptAfter(w, r)
	}
}

// adoptAfter takes over the connection of an answered POST, so that the
// session's next requests on it are read by the lean path of adopt.go.
func (h *Handler) adoptAfter(w http.ResponseWriter, r *http.Request) {
	if h.poller == nil || w.Header().Get("Connection") == "close" {
		return
	}
	if http.NewResponseController(w).Flush() != nil {
		return
	}
	if hc := h.adopt(w, r); hc != nil {
		hc.next()
	}
}

// serveAdopted answers a request read from an adopted connection; it
// reports whether the request was parked (the connection is gone).
func (h *Handler) serveAdopted(hc *hconn, r *http.Request) bool {
	return h.route(&hc.w, r, hc)
}

// route dispatches by method; it reports whether a POST took the
// connection (parked, or taken over from net/http).
func (h *Handler) route(w http.ResponseWriter, r *http.Request, hc *hconn) bool {
	h.cors(w, r)
	switch r.Method {
	case http.MethodPost:
		return h.post(w, r, hc)
	case http.MethodOptions:
		h.preflight(w, r)
	case http.MethodGet, http.MethodHead:
		h.infoPage(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed) // B-259
	}
	return false
}

// cors sets Access-Control-Allow-Origin on every response (B-256, B-257).
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	if len(h.cfg.CORSOrigins) == 0 || slices.Contains(h.cfg.CORSOrigins, "*") {
		hd["Access-Control-Allow-Origin"] = hdrAnyOrigin
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" && slices.Contains(h.cfg.CORSOrigins, origin) {
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Add("Vary", "Origin")
	}
}

// preflight answers a CORS preflight (B-255); no session is touched.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	allowed := "Content-Type"
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		allowed = req
	}
	hd.Set("Access-Control-Allow-Headers", allowed)
	hd.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// infoPage serves GET and HEAD (B-259, B-260): never session state.
func (h *Handler) infoPage(w http.ResponseWriter, r *http.Request) {
	if h.info != nil {
		h.info.ServeHTTP(w, r)
		return
	}
	page := []byte("<!DOCTYPE html><html><head><title>BOSH endpoint</title></head>" +
		"<body><h1>BOSH endpoint</h1><p>This is an XMPP BOSH endpoint (XEP-0124, XEP-0206). " +
		"Point your BOSH client at this URL; it accepts POST requests only.</p></body></html>")
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(page)))
	hd.Set("Cache-Control", "no-store")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(page)
}

// errTooLarge marks a body over MaxBody (before or after decompression).
var errTooLarge = errors.New("bosh: body too large")

// readBody reads the capped, possibly compressed body (B-203, B-250). On
// errTooLarge it also returns the prefix read, to find the session.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := h.cfg.MaxBody
	raw, err := readAllInto(bodyBuf(r.ContentLength, limit), http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return raw, errTooLarge
	}
	if err != nil {
		return nil, err
	}
	var zr io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		gz, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		zr = gz
	case "deflate":
		zl, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			zr = flate.NewReader(bytes.NewReader(raw))
		} else {
			zr = zl
		}
	default:
		return nil, errors.New("bosh: unsupported content-encoding " + enc)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return out[:limit], errTooLarge
	}
	return out, nil
}

// bodyPool recycles request body buffers: a parsed body keeps no
// reference to its bytes (the decoders copy what they keep).
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// bodyBuf returns an empty buffer for a body of n bytes (-1: unknown).
func bodyBuf(n, limit int64) []byte {
	if n > 2048 && n <= limit {
		return make([]byte, 0, n)
	}
	return (*bodyPool.Get().(*[]byte))[:0]
}

// putBody returns a body buffer to the pool.
func putBody(b []byte) {
	if cap(b) == 2048 {
		b = b[:0]
		bodyPool.Put(&b)
	}
}

// readAllInto is io.ReadAll appending to buf.
func readAllInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// clientInfo returns whether the request was encrypted and the client
// address, trusting forwarding headers only from TrustedProxies (B-263).
func (h *Handler) clientInfo(r *http.Request) (secure bool, ip string) {
	secure = r.TLS != nil
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if !h.trusted(ip) {
		return secure, ip
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		secure = strings.EqualFold(strings.TrimSpace(p), "https")
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		parts := strings.Split(xff, ",")
		if c := strings.TrimSpace(parts[len(parts)-1]); c != "" {
			ip = c
		}
	}
	return secure, ip
}

// parseProxies reads IPs and CIDRs.
func parseProxies(list []string) []*net.IPNet {
	var nets []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		if _, n, err := net.ParseCIDR(p); err == nil {
			nets = append(nets, n)
		}
	}
	return nets
}

// trusted reports whether ip is a trusted proxy.
// TrustedProxy reports whether r came straight from one of the configured
// trusted reverse proxies, whose X-Forwarded-* headers are then believed.
// The web client's connection discovery uses it too.
func (h *Handler) TrustedProxy(r *http.Request) bool {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return h.trusted(ip)
}

func (h *Handler) trusted(ip string) bool {
	a := net.ParseIP(ip)
	for _, n := range h.proxies {
		if a != nil && n.Contains(a) {
			return true
		}
	}
	return false
}

// Header values shared by every response, set without the allocation of
// Header.Set; net/http only reads them.
var (
	hdrNoStore     = []string{"no-store"}
	hdrNoSniff     = []string{"nosniff"}
	hdrDefaultType = []string{defaultContentType}
	hdrAnyOrigin   = []string{"*"}
)

// write sends resp with the headers of B-005, B-194..B-196 and B-201.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, resp *response, contentType string) error {
	acc := ""
	if h.cfg.Compress {
		acc = r.Header.Get("Accept-Encoding")
	}
	return h.writeResp(w, acc, resp, contentType)
}

// writeResp is write given the request's Accept-Encoding.
func (h *Handler) writeResp(w http.ResponseWriter, acceptEnc string, resp *response, contentType string) error {
	hd := w.Header()
	hd["Cache-Control"] = hdrNoStore
	hd["X-Content-Type-Options"] = hdrNoSniff
	if resp.status != http.StatusOK {
		hd.Set("Content-Length", "0")
		w.WriteHeader(resp.status)
		return nil
	}
	if contentType == "" || contentType == defaultContentType {
		hd["Content-Type"] = hdrDefaultType
	} else {
		hd.Set("Content-Type", contentType)
	}
	body := resp.body
	if h.cfg.Compress && !resp.noZip && len(body) >= h.cfg.CompressMin {
		hd.Add("Vary", "Accept-Encoding")
		if enc, zipped := compress(acceptEnc, body); enc != "" {
			hd.Set("Content-Encoding", enc)
			body = zipped
		}
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// compress encodes body with the first of gzip, deflate the client
// accepts (XEP-0124 §5, B-201, B-202).
func compress(accept string, body []byte) (string, []byte) {
	enc := ""
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		if name == "gzip" || (name == "deflate" && enc == "") {
			enc = name
		}
	}
	var buf bytes.Buffer
	switch enc {
	case "gzip":
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
	case "deflate":
		zw := zlib.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
	default:
		return "", nil
	}
	return enc, buf.Bytes()
}

// setDeadlines gives a long-poll its own write deadline, beyond the
// server's WriteTimeout (XEP-0124 §8, B-089, B-264).
func setDeadlines(w http.ResponseWriter, wait, margin time.Duration) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(wait + margin))
}

// ctxDone is a nil-safe Done.
func ctxDone(ctx context.Context) <-chan struct{} {
	if ctx == nil {
		return nil
	}
	return ctx.Done()
}
