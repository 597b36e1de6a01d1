package bosh

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Reading requests on adopted connections (RFC 9112). http.ReadRequest
// allocates a dozen objects per request; this reader reuses one pooled
// request, URL and header map and copies only the header values. It is
// strict where RFC 9112 lets a server be: no line folding, no space
// before a colon, one Content-Length, no Content-Length with
// Transfer-Encoding, Host required in HTTP/1.1. FuzzReadH1 compares it
// with net/http on what both accept.

// Errors of readH1; errHeaderTooLarge is answered with 431.
var (
	errBadRequest     = errors.New("bosh: malformed HTTP request")
	errHeaderTooLarge = errors.New("bosh: HTTP request head too large")
	errUnsupportedTE  = errors.New("bosh: unsupported transfer coding")
)

// maxRequestHead bounds a request line and headers together.
const maxRequestHead = 64 << 10

// h1Request is a pooled request read by readH1.
type h1Request struct {
	req  http.Request
	url  url.URL
	hdr  http.Header
	body io.LimitedReader
}

var h1Pool = sync.Pool{New: func() any { return &h1Request{hdr: make(http.Header, 8)} }}

// release returns hr to the pool once its request is answered.
func (hr *h1Request) release() {
	clear(hr.hdr)
	hdr := hr.hdr
	*hr = h1Request{hdr: hdr}
	h1Pool.Put(hr)
}

// readH1 reads one request head from br; the body is left to req.Body.
func readH1(br *bufio.Reader) (*h1Request, error) {
	hr := h1Pool.Get().(*h1Request)
	if err := hr.read(br); err != nil {
		hr.release()
		return nil, err
	}
	return hr, nil
}

func (hr *h1Request) read(br *bufio.Reader) error {
	budget := maxRequestHead
	line, err := readLine(br, &budget)
	if err != nil {
		return err
	}
	if err := hr.requestLine(line); err != nil {
		return err
	}
	for {
		line, err := readLine(br, &budget)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if err := hr.headerLine(line); err != nil {
			return err
		}
	}
	return hr.framing(br)
}

// readLine returns one line without its CRLF (or LF), counting it against
// the head's budget.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*budget -= len(line)
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || *budget < 0:
		return nil, errHeaderTooLarge
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err != nil:
		return nil, errBadRequest
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// requestLine parses "METHOD SP target SP HTTP/1.x".
func (hr *h1Request) requestLine(line []byte) error {
	m, rest, ok := bytes.Cut(line, []byte{' '})
	target, proto, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok || !ok2 || len(m) == 0 || !isToken(m) || len(target) == 0 {
		return errBadRequest
	}
	r := &hr.req
	switch string(proto) {
	case "HTTP/1.1":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		return errBadRequest
	}
	r.Method = methodString(m)
	if target[0] != '/' && !(string(target) == "*" && r.Method == http.MethodOptions) {
		return errBadRequest
	}
	for _, c := range target {
		if c <= ' ' || c == 0x7f {
			return errBadRequest
		}
	}
	r.RequestURI = string(target)
	path, query, _ := bytes.Cut(target, []byte{'?'})
	hr.url.RawQuery = string(query)
	if bytes.IndexByte(path, '%') < 0 {
		hr.url.Path = r.RequestURI[:len(path)]
	} else {
		p, err := url.PathUnescape(string(path))
		if err != nil {
			return errBadRequest
		}
		hr.url.Path, hr.url.RawPath = p, string(path)
	}
	r.URL = &hr.url
	r.Header = hr.hdr
	return nil
}

// headerLine adds "Name: value" (RFC 9112 §5).
func (hr *h1Request) headerLine(line []byte) error {
	if line[0] == ' ' || line[0] == '\t' {
		return errBadRequest // obsolete line folding (RFC 9112 §5.2)
	}
	k, v, ok := bytes.Cut(line, []byte{':'})
	if !ok || len(k) == 0 || !isToken(k) {
		return errBadRequest
	}
	v = bytes.Trim(v, " \t")
	for _, c := range v {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return errBadRequest // RFC 9110 §5.5: no control characters
		}
	}
	key := headerKey(k)
	hr.hdr[key] = append(hr.hdr[key], string(v))
	return nil
}

// framing applies Host, Connection, Content-Length and Transfer-Encoding
// (RFC 9112 §6, §9.3).
func (hr *h1Request) framing(br *bufio.Reader) error {
	r, h := &hr.req, hr.hdr
	hosts := h["Host"]
	if len(hosts) > 1 || (len(hosts) == 0 && r.ProtoMinor == 1) {
		return errBadRequest
	}
	if len(hosts) == 1 {
		r.Host = hosts[0]
	}
	conn := h["Connection"]
	r.Close = hasToken(conn, "close") || (r.ProtoMinor == 0 && !hasToken(conn, "keep-alive"))
	te, cls := h["Transfer-Encoding"], h["Content-Length"]
	if len(te) > 0 {
		if len(cls) > 0 {
			return errBadRequest // RFC 9112 §6.1: a smuggling attempt
		}
		if len(te) != 1 || !equalFold(te[0], "chunked") || r.ProtoMinor == 0 {
			return errUnsupportedTE
		}
		r.ContentLength, r.TransferEncoding = -1, []string{"chunked"}
		r.Body = io.NopCloser(httputil.NewChunkedReader(br))
		return nil
	}
	n := int64(0)
	for i, cl := range cls {
		v, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || v < 0 || cl[0] == '+' || (i > 0 && v != n) {
			return errBadRequest
		}
		n = v
	}
	r.ContentLength = n
	hr.body = io.LimitedReader{R: br, N: n}
	r.Body = io.NopCloser(&hr.body)
	return nil
}

// tokenChars marks the bytes of an RFC 9110 token.
var tokenChars = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c)
	}
	return t
}()

// isToken reports an RFC 9110 token.
func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// hasToken reports a comma-separated token in any of vs, ignoring case.
func hasToken(vs []string, tok string) bool {
	for _, v := range vs {
		for len(v) > 0 {
			var part string
			part, v, _ = cutString(v, ',')
			if equalFold(trimOWS(part), tok) {
				return true
			}
		}
	}
	return false
}

func cutString(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// equalFold compares ASCII case-insensitively.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y || (x < 'a' || x > 'z') && a[i] != b[i] {
			return false
		}
	}
	return true
}

// equalFoldBytes is equalFold for a byte slice.
func equalFoldBytes(a string, b []byte) bool {
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y || (x < 'a' || x > 'z') && a[i] != b[i] {
			return false
		}
	}
	return true
}

// commonKeys are the canonical names of the headers BOSH clients send,
// returned without allocating.
var commonKeys = []string{
	"Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language",
	"Content-Length", "Content-Type", "Content-Encoding", "Connection",
	"Origin", "Referer", "Expect", "Transfer-Encoding", "Cookie",
	"X-Forwarded-For", "X-Forwarded-Proto", "Access-Control-Request-Headers",
	"Access-Control-Request-Method", "Cache-Control", "Pragma", "Dnt",
	"Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Priority",
}

// headerKey is textproto.CanonicalMIMEHeaderKey of k.
func headerKey(k []byte) string {
	for _, c := range commonKeys {
		if len(c) == len(k) && equalFoldBytes(c, k) {
			return c
		}
	}
	return textproto.CanonicalMIMEHeaderKey(string(k))
}

// methodString returns the method without allocating for common ones.
func methodString(m []byte) string {
	for _, c := range []string{http.MethodPost, http.MethodGet, http.MethodOptions, http.MethodHead} {
		if string(m) == c {
			return c
		}
	}
	return string(m)
}
