package bosh

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// connSet is every adopted connection of a handler, for the idle sweep and
// shutdown.
type connSet struct {
	mu      sync.Mutex // guards m and closing
	m       map[*hconn]struct{}
	closing bool
}

func (cs *connSet) add(hc *hconn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.m == nil {
		cs.m = make(map[*hconn]struct{})
	}
	cs.m[hc] = struct{}{}
}

func (cs *connSet) remove(hc *hconn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.m, hc)
}

// Len returns how many adopted connections are open.
func (cs *connSet) Len() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.m)
}

// snapshot returns the connections, outside the lock's use.
func (cs *connSet) snapshot() []*hconn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	all := make([]*hconn, 0, len(cs.m))
	for hc := range cs.m {
		all = append(all, hc)
	}
	return all
}

// isClosing reports whether the handler is shutting down.
func (cs *connSet) isClosing() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.closing
}

// sweep closes connections idle since before cutoff (zero: all idle ones).
func (cs *connSet) sweep(cutoff time.Time) {
	for _, hc := range cs.snapshot() {
		hc.closeIfIdle(cutoff)
	}
}

// sweepLoop closes connections idle for longer than idle until stop.
func (h *Handler) sweepLoop(idle time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(max(idle/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.conns.sweep(time.Now().Add(-idle))
		case <-stop:
			return
		}
	}
}

// Under pressure on open files, idle keep-alive connections go first: a
// client reopens one at the cost of a handshake, while a parked request
// or a refused accept loses time or a session. When the adopted
// connections pass three quarters of the open-file limit, the ones idle
// for pressureIdle are closed, at most once per pressureEvery.
const (
	pressureIdle  = time.Second
	pressureEvery = time.Second
)

// relieve sweeps idle connections when open files run short.
func (h *Handler) relieve() {
	if high := h.fdHigh.Load(); high == 0 || int64(h.conns.Len()) < high {
		return
	}
	now := time.Now().UnixNano()
	last := h.lastRelief.Load()
	if now-last < int64(pressureEvery) || !h.lastRelief.CompareAndSwap(last, now) {
		return
	}
	go h.conns.sweep(time.Now().Add(-pressureIdle))
}

// closeAdopted closes the idle adopted connections at shutdown; busy ones
// close when their request is answered.
func (h *Handler) closeAdopted() {
	h.conns.mu.Lock()
	h.conns.closing = true
	h.conns.mu.Unlock()
	h.conns.sweep(time.Time{})
}

// connQueue is the listener through which adopted connections go back to
// net/http (Handler.Returned).
type connQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

// Accept implements net.Listener.
func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

// Addr implements net.Listener.
func (q *connQueue) Addr() net.Addr { return q.addr }

// Returned is the listener on which connections the BOSH endpoint took
// over come back when a request for another path arrives on them: serve
// it with the server's handler. Call it before serving; without it such
// requests are answered by this handler.
func (h *Handler) Returned() net.Listener {
	if h.returned == nil {
		h.returned = &connQueue{
			ch:   make(chan net.Conn, 64),
			done: make(chan struct{}),
			addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)},
		}
	}
	return h.returned
}

// returnedConn is a connection handed back with the bytes already read
// from it in front.
type returnedConn struct {
	net.Conn
	r io.Reader
}

func (c *returnedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// handBack gives hc's connection to net/http with what was read of it.
// The calling goroutine owns hc and gives it up.
func (h *Handler) handBack(hc *hconn) {
	hc.unregister()
	hc.mu.Lock()
	hc.state = connClosed
	hc.mu.Unlock()
	rest, _ := hc.br.Peek(hc.br.Buffered())
	rc := &returnedConn{
		Conn: hc.conn,
		r:    withBuffered(rest, hc.conn),
	}
	hc.br.Reset(nil)
	readerPool.Put(hc.br)
	hc.br = nil
	_ = hc.conn.SetDeadline(time.Time{})
	h.stats.ConnsReturned.Add(1)
	select {
	case h.returned.ch <- rc:
	case <-h.returned.done:
		_ = hc.conn.Close()
	}
}

// h1Writer is the http.ResponseWriter of requests on adopted connections:
// it buffers one response and encodes it in a single write.
type h1Writer struct {
	hdr    http.Header
	status int
	body   []byte
	head   bool
	// While parked the header map goes back to a pool; the CORS headers
	// set for the request wait here.
	acao, vary []string
}

var headerPool = sync.Pool{New: func() any { return make(http.Header, 6) }}

// Header implements http.ResponseWriter.
func (w *h1Writer) Header() http.Header {
	if w.hdr == nil {
		w.hdr = headerPool.Get().(http.Header)
		if w.acao != nil {
			w.hdr["Access-Control-Allow-Origin"] = w.acao
		}
		if w.vary != nil {
			w.hdr["Vary"] = w.vary
		}
		w.acao, w.vary = nil, nil
	}
	return w.hdr
}

// stash keeps the CORS headers and returns the map to the pool.
func (w *h1Writer) stash() {
	if w.hdr == nil {
		return
	}
	w.acao, w.vary = w.hdr["Access-Control-Allow-Origin"], w.hdr["Vary"]
	w.release()
}

// release returns the header map to the pool.
func (w *h1Writer) release() {
	if w.hdr != nil {
		clear(w.hdr)
		headerPool.Put(w.hdr)
		w.hdr = nil
	}
}

// WriteHeader implements http.ResponseWriter.
func (w *h1Writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// Write implements http.ResponseWriter.
func (w *h1Writer) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body == nil {
		w.body = (*bodyBufPool.Get().(*[]byte))[:0]
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// reset starts a new response.
func (w *h1Writer) reset() {
	clear(w.hdr)
	w.acao, w.vary = nil, nil
	w.resetBody()
}

// resetBody starts a new response keeping the headers set so far.
func (w *h1Writer) resetBody() {
	w.status, w.head = 0, false
	w.body = w.body[:0]
}

// dropBody gives the body buffer back once the response is encoded, so
// that a waiting connection keeps none.
func (w *h1Writer) dropBody() {
	if w.body != nil && cap(w.body) <= 8<<10 {
		b := w.body[:0]
		bodyBufPool.Put(&b)
	}
	w.body = nil
}

var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// closeAfter reports a response that ends the connection.
func (w *h1Writer) closeAfter() bool { return w.Header().Get("Connection") == "close" }

// wbuf is a pooled output buffer.
type wbuf struct{ B []byte }

var wbufPool = sync.Pool{New: func() any { return &wbuf{B: make([]byte, 0, 1024)} }}

func putBuf(b *wbuf) {
	if cap(b.B) <= 64<<10 {
		b.B = b.B[:0]
		wbufPool.Put(b)
	}
}

// encode serialises the response: status line, headers (Date and
// Content-Length added as net/http does), body.
func (w *h1Writer) encode() *wbuf {
	buf := wbufPool.Get().(*wbuf)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	b := append(buf.B, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	noBody := status == http.StatusNoContent || status == http.StatusNotModified || status < 200
	hdr := w.Header()
	for k, vs := range hdr {
		if noBody && k == "Content-Length" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = appendHeaderValue(b, v)
			b = append(b, "\r\n"...)
		}
	}
	if _, ok := hdr["Date"]; !ok {
		b = append(b, "Date: "...)
		b = append(b, httpDate()...)
		b = append(b, "\r\n"...)
	}
	if _, ok := hdr["Content-Length"]; !ok && !noBody {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(w.body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	if !w.head && !noBody {
		b = append(b, w.body...)
	}
	buf.B = b
	return buf
}

// appendHeaderValue appends v with any CR or LF replaced by a space, as
// net/http does.
func appendHeaderValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

// dateCache holds the Date header of the current second.
var dateCache atomic.Pointer[cachedDate]

type cachedDate struct {
	sec int64
	s   string
}

func httpDate() string {
	now := time.Now()
	if d := dateCache.Load(); d != nil && d.sec == now.Unix() {
		return d.s
	}
	d := &cachedDate{sec: now.Unix(), s: now.UTC().Format(http.TimeFormat)}
	dateCache.Store(d)
	return d.s
}
