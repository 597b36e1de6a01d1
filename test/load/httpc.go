package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// A BOSH session's HTTP traffic is small POSTs to one URL, at most
// 'requests' of them in flight. net/http's client spends several times the
// CPU of the exchange itself on them (two goroutines per connection, header
// maps, the connection pool, a context and a timer per request), so the
// load tool speaks HTTP/1.1 itself over persistent connections, which each
// session keeps for itself: a request is one Write of a reused buffer, the
// response head and body are parsed by hand from a reused read buffer.
// It follows RFC 9112: keep-alive by default on HTTP/1.1 and only with
// "Connection: keep-alive" on HTTP/1.0, "Connection: close", bodies
// delimited by Content-Length, chunked transfer coding or the end of the
// connection, informational (1xx) responses skipped, and statuses other
// than 200 reported as errors (after reading their body, so that the
// connection stays usable).

// Bounds of what the HTTP client reads.
const (
	maxHTTPHead = 64 << 10
	maxHTTPBody = 16 << 20
	maxHeaders  = 200
)

// httpTarget is where a BOSH client posts: one URL.
type httpTarget struct {
	env  *netEnv
	url  string // for error messages
	addr string // host:port to dial
	tls  bool
	head []byte // request line and fixed headers, up to "Content-Length: "
}

// newHTTPTarget parses an http or https URL.
func newHTTPTarget(env *netEnv, rawURL string) (*httpTarget, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q: expected an http:// or https:// URL", rawURL)
	}
	t := &httpTarget{env: env, url: rawURL, tls: u.Scheme == "https"}
	port := u.Port()
	if port == "" {
		port = map[bool]string{false: "80", true: "443"}[t.tls]
	}
	t.addr = net.JoinHostPort(u.Hostname(), port)
	path := u.RequestURI()
	t.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: parley-load\r\n"+
		"Content-Type: text/xml; charset=utf-8\r\nContent-Length: ", path, u.Host)
	return t, nil
}

// httpConn is one persistent connection to the target.
type httpConn struct {
	c        net.Conn
	wbuf     []byte
	rbuf     []byte
	r, w     int       // unread response bytes: rbuf[r:w]
	body     []byte    // a chunked body, decoded
	deadline time.Time // the read/write deadline in force
	reused   bool      // it has carried a response
	nread    int64     // bytes read, ever
}

// reserve is the room left before a request body in wbuf for the head.
func (t *httpTarget) reserve() int { return len(t.head) + 24 }

// request returns the connection's write buffer, empty but for the room
// of the request head: the caller appends the body and passes it to
// roundTrip.
func (hc *httpConn) request(t *httpTarget) []byte {
	n := t.reserve()
	if cap(hc.wbuf) < n+512 {
		hc.wbuf = make([]byte, n, n+2048)
	}
	return hc.wbuf[:n]
}

// dial opens a connection (with TLS for https) before deadline.
func (t *httpTarget) dial(ctx context.Context, deadline time.Time) (*httpConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := t.env.dial(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	if t.tls {
		tc := tls.Client(c, t.env.tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	return &httpConn{c: c}, nil
}

// httpResponse is a response read by httpConn.roundTrip. body is valid
// until the connection's next request.
type httpResponse struct {
	status int
	reason string
	body   []byte
	close  bool // the connection cannot carry another request
}

// httpError is a failed exchange. sentNothing reports that the
// connection, an idle one reused, was found closed by the server before
// it answered anything: the request may be sent again on a new one.
type httpError struct {
	err         error
	sentNothing bool
}

func (e *httpError) Error() string { return e.err.Error() }
func (e *httpError) Unwrap() error { return e.err }

// roundTrip sends one POST, whose body follows the head's room in req
// (from request), and reads the response. The exchange must end before
// deadline; a deadline already set on the connection that is at most slack
// earlier is kept, since moving it costs a timer update.
func (hc *httpConn) roundTrip(t *httpTarget, req []byte, deadline time.Time, slack time.Duration) (httpResponse, error) {
	if hc.deadline.After(deadline) || hc.deadline.Before(deadline.Add(-slack)) {
		if err := hc.c.SetDeadline(deadline); err != nil {
			return httpResponse{}, &httpError{err: err}
		}
		hc.deadline = deadline
	}
	if cap(hc.rbuf) > 64<<10 && hc.r == hc.w {
		hc.rbuf, hc.r, hc.w = nil, 0, 0 // do not keep a large response's buffer
	}
	if cap(hc.body) > 64<<10 {
		hc.body = nil
	}
	n := t.reserve()
	body := len(req) - n
	var lenBuf [20]byte
	cl := strconv.AppendInt(lenBuf[:0], int64(body), 10)
	start := n - len(t.head) - len(cl) - 4
	copy(req[start:], t.head)
	copy(req[start+len(t.head):], cl)
	copy(req[n-4:], "\r\n\r\n")
	if cap(req) <= 64<<10 {
		hc.wbuf = req[:0]
	}
	before := hc.nread
	if err := hc.write(req[start:]); err != nil {
		return httpResponse{}, &httpError{err: err, sentNothing: hc.reused && isConnReset(err)}
	}
	resp, err := hc.readResponse()
	if err != nil {
		return resp, &httpError{err: err, sentNothing: hc.reused && hc.nread == before &&
			(errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err))}
	}
	hc.reused = true
	return resp, nil
}

// awaiter is a connection that writes a request, waits for its answer
// and reads it in one go (rawConn).
type awaiter interface {
	writeAwait(p, buf []byte) (wrote, read int, err error)
}

// write sends a request; on an awaiter, it also reads the first bytes
// of the answer into rbuf.
func (hc *httpConn) write(p []byte) error {
	if aw, ok := hc.c.(awaiter); ok {
		if err := hc.room(maxHTTPHead + maxHTTPBody); err != nil {
			return err
		}
		n, k, err := aw.writeAwait(p, hc.rbuf[hc.w:])
		hc.w += k
		hc.nread += int64(k)
		if err != nil || n == len(p) {
			if n == len(p) {
				return nil // a failed read: readResponse reads again and says
			}
			return err
		}
		p = p[n:]
	}
	_, err := hc.c.Write(p)
	return err
}

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF)
}

// fill reads more bytes into rbuf, keeping the unread rbuf[r:w] (moved to
// the front when the buffer is full, or in a buffer grown up to limit).
func (hc *httpConn) fill(limit int) error {
	if err := hc.room(limit); err != nil {
		return err
	}
	n, err := hc.c.Read(hc.rbuf[hc.w:])
	hc.w += n
	hc.nread += int64(n)
	if n > 0 {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// room makes room in rbuf after the unread bytes.
func (hc *httpConn) room(limit int) error {
	if hc.rbuf == nil {
		hc.rbuf = make([]byte, 4096)
	}
	if hc.w == len(hc.rbuf) {
		if hc.r > 0 {
			hc.w = copy(hc.rbuf, hc.rbuf[hc.r:hc.w])
			hc.r = 0
		} else {
			if len(hc.rbuf) >= limit {
				return errTooLarge
			}
			nb := make([]byte, min(2*len(hc.rbuf), limit))
			copy(nb, hc.rbuf[:hc.w])
			hc.rbuf = nb
		}
	}
	return nil
}

var errTooLarge = errors.New("HTTP response too large")

// readResponse reads one final response, skipping informational ones.
func (hc *httpConn) readResponse() (httpResponse, error) {
	for range 10 {
		resp, err := hc.readOne()
		if err != nil || resp.status >= 200 {
			return resp, err
		}
	}
	return httpResponse{}, errors.New("HTTP: more than 10 informational responses")
}

// readOne reads one response head and its body.
func (hc *httpConn) readOne() (httpResponse, error) {
	// The head: up to an empty line.
	var headEnd int
	for {
		if end := headLen(hc.rbuf[hc.r:hc.w]); end > 0 {
			headEnd = hc.r + end
			break
		}
		if hc.w-hc.r > maxHTTPHead {
			return httpResponse{}, errors.New("HTTP: response head larger than 64 KiB")
		}
		var err error
		if err = hc.fill(maxHTTPHead + maxHTTPBody); err != nil {
			if err == io.ErrUnexpectedEOF && hc.w > hc.r {
				err = errors.New("HTTP: connection closed in the response head")
			}
			return httpResponse{}, err
		}
	}
	head := hc.rbuf[hc.r:headEnd]
	hc.r = headEnd
	resp, framing, err := parseHead(head)
	if err != nil {
		return resp, err
	}
	if resp.status < 200 || resp.status == 204 || resp.status == 304 {
		return resp, nil
	}
	switch {
	case framing.chunked:
		resp.body, err = hc.readChunked()
	case framing.length >= 0:
		resp.body, err = hc.readN(int(framing.length))
	default: // delimited by the end of the connection
		resp.close = true
		resp.body, err = hc.readToEOF()
	}
	return resp, err
}

// readN reads a body of n bytes.
func (hc *httpConn) readN(n int) ([]byte, error) {
	if n > maxHTTPBody {
		return nil, fmt.Errorf("HTTP: body of %d bytes, more than %d", n, maxHTTPBody)
	}
	for hc.w-hc.r < n {
		if len(hc.rbuf)-hc.r < n { // make room for the whole body
			nb := hc.rbuf
			if len(nb) < n {
				nb = make([]byte, n+4096)
			}
			hc.w = copy(nb, hc.rbuf[hc.r:hc.w])
			hc.rbuf, hc.r = nb, 0
		}
		var err error
		if err = hc.fill(maxHTTPHead + maxHTTPBody); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = fmt.Errorf("HTTP: connection closed after %d of %d body bytes", hc.w-hc.r, n)
			}
			return nil, err
		}
	}
	b := hc.rbuf[hc.r : hc.r+n]
	hc.r += n
	if hc.r == hc.w {
		hc.r, hc.w = 0, 0
	}
	return b, nil
}

// readToEOF reads a body delimited by the end of the connection.
func (hc *httpConn) readToEOF() ([]byte, error) {
	for {
		if hc.w-hc.r > maxHTTPBody {
			return nil, fmt.Errorf("HTTP: body larger than %d bytes", maxHTTPBody)
		}
		err := hc.fill(maxHTTPHead + maxHTTPBody + 1)
		if err == io.ErrUnexpectedEOF {
			b := hc.rbuf[hc.r:hc.w]
			hc.r = hc.w
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// readChunked reads a chunked body (RFC 9112 §7.1) into hc.body.
func (hc *httpConn) readChunked() ([]byte, error) {
	hc.body = hc.body[:0]
	line := func() ([]byte, error) {
		for {
			if i := bytes.IndexByte(hc.rbuf[hc.r:hc.w], '\n'); i >= 0 {
				l, _ := cutLine(hc.rbuf[hc.r : hc.r+i+1])
				hc.r += i + 1
				return l, nil
			}
			if hc.w-hc.r > 4096 {
				return nil, errors.New("HTTP: chunk line too long")
			}
			var err error
			if err = hc.fill(maxHTTPHead + maxHTTPBody); err != nil {
				return nil, chunkErr(err)
			}
		}
	}
	for range maxHTTPBody {
		l, err := line()
		if err != nil {
			return nil, err
		}
		size, _, _ := bytes.Cut(l, []byte(";"))
		size = bytes.Trim(size, " \t")
		n, err := strconv.ParseUint(string(size), 16, 32)
		if err != nil || len(size) == 0 {
			return nil, fmt.Errorf("HTTP: bad chunk size line %.40q", l)
		}
		if n == 0 {
			for range maxHeaders + 1 { // trailer fields, up to an empty line
				l, err := line()
				if err != nil {
					return nil, err
				}
				if len(l) == 0 {
					if hc.r == hc.w {
						hc.r, hc.w = 0, 0
					}
					return hc.body, nil
				}
			}
			return nil, errors.New("HTTP: too many trailer fields")
		}
		if len(hc.body)+int(n) > maxHTTPBody {
			return nil, fmt.Errorf("HTTP: body larger than %d bytes", maxHTTPBody)
		}
		for left := int(n); left > 0; {
			if hc.r == hc.w {
				hc.r, hc.w = 0, 0
				if err := hc.fill(maxHTTPHead + maxHTTPBody); err != nil {
					return nil, chunkErr(err)
				}
			}
			k := min(left, hc.w-hc.r)
			hc.body = append(hc.body, hc.rbuf[hc.r:hc.r+k]...)
			hc.r += k
			left -= k
		}
		if l, err := line(); err != nil {
			return nil, err
		} else if len(l) != 0 {
			return nil, errors.New("HTTP: chunk not followed by CRLF")
		}
	}
	return nil, errors.New("HTTP: too many chunks")
}

func chunkErr(err error) error {
	if err == io.ErrUnexpectedEOF {
		return errors.New("HTTP: connection closed in a chunked body")
	}
	return err
}
