package bosh

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Adopted connections.
//
// A held request (XEP-0124 §8) spends nearly all its life waiting. Served
// by net/http it keeps a goroutine, a background reader and about 10 KB of
// buffers for that whole time, which is most of what an idle BOSH session
// costs. So when a request over HTTP/1.1 is to be held, the handler takes
// the connection over (Hijack) and parks it: the request waits as a plain
// struct, its connection watched for data or hang-up by one poller
// goroutine for all connections, its wait deadline kept by the sessions'
// shared wheel. The answer is written by whichever goroutine produced it
// (after the session lock is released), and later requests on the same
// connection are read and answered here too, as long as they are for the
// BOSH path; anything else on the connection is handed back to net/http
// through Handler.Returned.

// connState is where an adopted connection is in its life.
type connState uint8

const (
	connReading connState = iota // a goroutine owns it
	connParked                   // a held request waits on it; watched
	connIdle                     // between requests; watched
	connClosed
)

// headerTimeout bounds the reading of one request once it has begun.
const headerTimeout = 10 * time.Second

// hconn is one adopted HTTP/1.1 connection.
//
// Lock order: session.mu → hconn.mu → poller.mu. A goroutine in state
// connReading owns br and w without the lock.
type hconn struct {
	h      *Handler
	conn   net.Conn
	remote string
	br     *bufio.Reader // nil while parked or idle with nothing buffered
	w      h1Writer

	mu    sync.Mutex
	state connState
	rq    *request // the parked request
	cur   *request // the request whose answer is in w (owner only)
	since time.Time
	watch watchToken
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// adopt takes over the connection of a held request served by net/http;
// nil when the connection cannot be taken (HTTP/2, a wrapped writer).
func (h *Handler) adopt(w http.ResponseWriter, r *http.Request) *hconn {
	// HTTPS stays with net/http: a client's TLS close_notify cannot be
	// told from a pipelined request without reading through TLS, so the
	// poller could not see a parked request's client go away.
	if h.poller == nil || r.ProtoMajor != 1 || r.ProtoMinor < 1 || r.Close || r.TLS != nil {
		return nil
	}
	hdr := headerPool.Get().(http.Header)
	for k, v := range w.Header() {
		hdr[k] = v // the CORS headers set so far; values are not changed
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	hc := &hconn{h: h, conn: conn, remote: r.RemoteAddr}
	_ = conn.SetDeadline(time.Time{})
	if n := brw.Reader.Buffered(); n > 0 {
		// A pipelined request: keep its bytes ahead of the connection.
		rest, _ := brw.Reader.Peek(n)
		hc.br = readerPool.Get().(*bufio.Reader)
		hc.br.Reset(withBuffered(rest, conn))
		_, _ = hc.br.Peek(n) // buffered, so that it is kept while parked
	}
	hc.w.hdr = hdr
	h.conns.add(hc)
	h.stats.ConnsAdopted.Add(1)
	h.relieve()
	return hc
}

// withBuffered reads the bytes already taken from conn (copied), then
// conn itself.
func withBuffered(buffered []byte, conn net.Conn) io.Reader {
	return io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), conn)
}

// park makes rq wait on hc. It returns false when rq was answered already
// (the caller then writes the answer itself). The caller holds s.mu and
// owns hc.
func (s *session) park(rq *request, hc *hconn) bool {
	if rq.resp != nil {
		return false
	}
	rq.hc = hc
	hc.mu.Lock()
	hc.state, hc.rq, hc.since = connParked, rq, time.Now()
	hc.releaseReader()
	hc.w.stash()
	hc.h.poller.arm(hc)
	hc.mu.Unlock()
	return true
}

// releaseReader returns an empty read buffer to the pool. The caller owns
// hc (or holds hc.mu with no goroutine reading).
func (hc *hconn) releaseReader() {
	if hc.br != nil && hc.br.Buffered() == 0 {
		hc.br.Reset(nil)
		readerPool.Put(hc.br)
		hc.br = nil
	}
}

// complete delivers rq.resp: it wakes the handler waiting for it, or
// queues it for writing on its adopted connection once s.mu is released.
// The caller holds s.mu and has just set rq.resp.
func (s *session) complete(rq *request) {
	if rq.hc != nil {
		s.ready = append(s.ready, rq)
		return
	}
	close(rq.done)
}

// unlock releases s.mu, then writes the answers completed under it to
// their adopted connections from this goroutine.
func (s *session) unlock() { s.release(false) }

// unlockAsync is unlock for goroutines that must not block on a slow
// client (the wheel, shutdown): each answer is written by a goroutine of
// its own.
func (s *session) unlockAsync() { s.release(true) }

func (s *session) release(async bool) {
	ready := s.ready
	s.ready = nil
	ct := s.contentType
	s.mu.Unlock()
	for _, rq := range ready {
		if async {
			go rq.hc.deliver(rq, ct)
		} else {
			rq.hc.deliver(rq, ct)
		}
	}
}

// deliver writes the answer of the request parked on hc, then serves the
// connection's next request (or waits for one). Called without locks.
func (hc *hconn) deliver(rq *request, contentType string) {
	hc.mu.Lock()
	if hc.state != connParked || hc.rq != rq {
		// The client hung up first: abandon() gave the payloads back.
		hc.mu.Unlock()
		return
	}
	hc.state, hc.rq = connReading, nil
	hc.mu.Unlock()
	h := hc.h
	defer h.inflight.Add(-1)
	hc.w.resetBody()
	_ = h.writeResp(&hc.w, rq.acceptEnc, rq.resp, contentType)
	if err := hc.flush(h.cfg.WriteMargin); err != nil {
		rq.sess.writeFailed(rq)
		hc.close()
		return
	}
	rq.sess.written(rq)
	hc.next()
}

// next continues after a response: the next request if its bytes are
// here, else the poller watches the connection.
func (hc *hconn) next() {
	if hc.br != nil && hc.br.Buffered() > 0 {
		go hc.serve()
		return
	}
	if hc.h.conns.isClosing() {
		hc.close()
		return
	}
	hc.mu.Lock()
	if hc.state == connClosed {
		hc.mu.Unlock()
		return
	}
	hc.state, hc.since = connIdle, time.Now()
	hc.releaseReader()
	hc.w.release()
	hc.h.poller.arm(hc)
	hc.mu.Unlock()
}

// readable is called by the poller when a watched connection has data or
// hung up.
func (hc *hconn) readable() {
	hc.mu.Lock()
	switch hc.state {
	case connIdle:
		hc.state = connReading
		hc.mu.Unlock()
		hc.serve()
		return
	case connParked:
		eof, spurious := hc.h.poller.peekEOF(hc)
		if spurious {
			hc.h.poller.arm(hc)
		}
		if !eof {
			// Data while parked (a pipelined request) is read once the
			// parked answer is written.
			hc.mu.Unlock()
			return
		}
		rq := hc.rq
		hc.state, hc.rq = connClosed, nil
		hc.mu.Unlock()
		hc.unregister()
		_ = hc.conn.Close()
		if rq.sess != nil {
			rq.sess.abandon(rq) // XEP-0124 §8, B-090
		}
		hc.h.inflight.Add(-1)
		return
	}
	hc.mu.Unlock()
}

// close ends the connection. Called by its owner.
func (hc *hconn) close() { hc.closeIf(func() bool { return true }) }

// closeIfIdle closes hc when no request is in progress or parked on it and
// it has been idle since before cutoff (zero: any idle connection).
func (hc *hconn) closeIfIdle(cutoff time.Time) {
	hc.closeIf(func() bool {
		return hc.state == connIdle && (cutoff.IsZero() || !hc.since.After(cutoff))
	})
}

// closeIf ends the connection unless it is closed already or cond, called
// with hc.mu held, is false.
func (hc *hconn) closeIf(cond func() bool) {
	hc.mu.Lock()
	if hc.state == connClosed || !cond() {
		hc.mu.Unlock()
		return
	}
	hc.state = connClosed
	hc.mu.Unlock()
	hc.unregister()
	_ = hc.conn.Close()
}

// unregister takes a closing connection out of the poller and the
// handler's set, before its descriptor is closed or handed on.
func (hc *hconn) unregister() {
	hc.h.poller.forget(hc)
	hc.h.conns.remove(hc)
}

// serve reads and answers requests on hc until one is parked, the
// connection goes idle, or it ends. The calling goroutine owns hc.
func (hc *hconn) serve() {
	for {
		gone, ok := hc.serveOne()
		if gone {
			return
		}
		if !ok {
			hc.close()
			return
		}
		if hc.br == nil || hc.br.Buffered() == 0 {
			hc.next()
			return
		}
	}
}

// serveOne reads one request and answers it, or parks it. gone is true
// when the goroutine no longer owns hc (parked, handed back); ok is false
// when the connection must close.
func (hc *hconn) serveOne() (gone, ok bool) {
	if hc.br == nil {
		hc.br = readerPool.Get().(*bufio.Reader)
		hc.br.Reset(hc.conn)
	}
	h := hc.h
	// The poller said data is here, but a stale event can wake an idle
	// connection early: wait for the first byte as long as it may idle.
	_ = hc.conn.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
	if _, err := hc.br.Peek(1); err != nil {
		return false, false
	}
	_ = hc.conn.SetReadDeadline(time.Now().Add(headerTimeout))
	if !hc.forBOSH() {
		h.handBack(hc)
		return true, true
	}
	hr, err := readH1(hc.br)
	if err != nil {
		hc.refuse(err)
		return false, false
	}
	defer hr.release()
	req := &hr.req
	req.RemoteAddr = hc.remote
	if req.Header.Get("Expect") == "100-continue" && req.ContentLength != 0 {
		_ = hc.conn.SetWriteDeadline(time.Now().Add(h.cfg.WriteMargin))
		if _, err := io.WriteString(hc.conn, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return false, false
		}
	}
	hc.w.reset()
	hc.w.head = req.Method == http.MethodHead
	hc.cur = nil
	if h.serveAdopted(hc, req) {
		return true, true
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(req.Body, h.cfg.MaxBody+1)); err != nil {
		return false, false
	}
	_ = req.Body.Close()
	err = hc.flush(h.cfg.WriteMargin)
	if rq := hc.cur; rq != nil {
		if hc.cur = nil; err != nil {
			rq.sess.writeFailed(rq)
		} else {
			rq.sess.written(rq)
		}
	}
	if err != nil {
		return false, false
	}
	if hc.w.closeAfter() {
		hc.linger()
		return false, false
	}
	return false, !req.Close
}

// Bounds of the lingering close.
const (
	lingerTime  = 2 * time.Second
	lingerBytes = 16 << 20
)

// linger half-closes the connection and discards what the client still
// sends for a while, so that a client still writing a refused body (HTTP
// 413) reads the answer instead of a reset, as net/http does.
func (hc *hconn) linger() {
	if tc, ok := hc.conn.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = hc.conn.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.Copy(io.Discard, io.LimitReader(hc.conn, lingerBytes))
}

// refuse answers a request that could not be read (RFC 9112 §2.2) and
// lets the connection close.
func (hc *hconn) refuse(err error) {
	status := http.StatusBadRequest
	switch err {
	case io.EOF:
		return
	case errHeaderTooLarge:
		status = http.StatusRequestHeaderFieldsTooLarge
	case errUnsupportedTE:
		status = http.StatusNotImplemented
	}
	hc.w.reset()
	hc.w.Header().Set("Connection", "close")
	http.Error(&hc.w, http.StatusText(status), status)
	_ = hc.flush(hc.h.cfg.WriteMargin)
}

// forBOSH reports whether the request waiting in br is for the BOSH path.
func (hc *hconn) forBOSH() bool {
	path := hc.h.cfg.Path
	for _, m := range []string{"POST ", "OPTIONS ", "GET ", "HEAD "} {
		if hc.hasPrefix(m+path+" ") || hc.hasPrefix(m+path+"?") {
			return m == "POST " || m == "OPTIONS " || hc.h.returned == nil
		}
	}
	return hc.h.returned == nil
}

// hasPrefix reports whether the buffered input starts with p, reading
// more only while it still could.
func (hc *hconn) hasPrefix(p string) bool {
	for n := 1; n <= len(p); n++ {
		b, err := hc.br.Peek(n)
		if err != nil || b[n-1] != p[n-1] {
			return false
		}
	}
	return true
}

// flush writes the response built in hc.w.
func (hc *hconn) flush(margin time.Duration) error {
	buf := hc.w.encode()
	hc.w.dropBody()
	_ = hc.conn.SetWriteDeadline(time.Now().Add(margin))
	_, err := hc.conn.Write(buf.B)
	putBuf(buf)
	return err
}

// expireDue answers the requests whose wait is over (XEP-0124 §8) and
// schedules the wheel for the next deadline. The caller holds s.mu.
func (s *session) expireDue(now time.Time) {
	var due []*request
	var next time.Time
	consider := func(rq *request) {
		if rq.resp != nil {
			return
		}
		if !rq.deadline.After(now) {
			due = append(due, rq)
		} else if next.IsZero() || rq.deadline.Before(next) {
			next = rq.deadline
		}
	}
	for _, rq := range s.held {
		consider(rq)
	}
	for _, rq := range s.pending {
		consider(rq)
	}
	for _, rq := range due {
		s.expireLocked(rq)
	}
	if !s.ended && !next.IsZero() {
		s.schedule(next)
	}
}
