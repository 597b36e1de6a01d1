package c2s

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stream"
)

// lingerTimeout is how long the server waits for the client's closing
// tag after closing its own stream (RFC 6120 §4.4).
const lingerTimeout = 2 * time.Second

// conn is one TCP connection. The read loop (serve) owns the decoder and
// calls the session; the write loop (writeLoop) drains the session's
// out-queue to the socket. wmu serialises every write and the STARTTLS
// switch of nc.
type conn struct {
	srv    *Server
	raw    net.Conn
	direct bool
	sess   *server.Session
	dec    *stream.Decoder

	notify  chan struct{} // capacity 1: output is queued
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when the read loop exits
	written chan struct{} // closed when the write loop exits

	closeOnce sync.Once
	closeErr  *stream.Error // set before closing is closed
	// aborted is set when the session is closed as a slow consumer: the
	// client reads nothing, so nothing more is written (what is still
	// queued goes to the undeliverable hook at Session.End).
	aborted atomic.Bool

	wmu        sync.Mutex // guards nc, headerSent, buf, batch
	nc         net.Conn
	headerSent bool
	buf        bytes.Buffer
	batch      []*etree.Element
}

func newConn(s *Server, nc net.Conn, direct bool) *conn {
	return &conn{
		srv: s, raw: nc, nc: nc, direct: direct,
		notify:  make(chan struct{}, 1),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		written: make(chan struct{}),
	}
}

// serve is the read loop.
func (c *conn) serve() {
	defer c.srv.untrack(c)
	info := server.TransportInfo{Kind: "c2s", RemoteAddr: c.raw.RemoteAddr().String()}
	if cfg := c.srv.cfg.TLS; cfg != nil {
		info.CanStartTLS = !c.direct
		if len(cfg.Certificates) > 0 && len(cfg.Certificates[0].Certificate) > 0 {
			info.ServerCert = cfg.Certificates[0].Certificate[0]
		}
	}
	if c.direct {
		tc := tls.Server(c.raw, c.srv.cfg.TLS)
		c.raw.SetDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
		if err := tc.Handshake(); err != nil {
			c.raw.Close()
			return
		}
		c.raw.SetDeadline(time.Time{})
		cs := tc.ConnectionState()
		info.TLS = &cs
		c.nc = tc
	}
	c.dec = stream.NewDecoder(c.nc, stream.TCPOptions(c.srv.cfg.MaxStanzaSize))
	c.sess = c.srv.core.NewSession(c, info)
	go c.writeLoop()
	timer := time.AfterFunc(c.srv.cfg.HandshakeTimeout, func() {
		if !c.sess.IsBound() {
			c.sess.Close(stream.NewError(stream.ConnectionTimeout, "negotiation took too long"))
		}
	})
	reason := c.readLoop()
	timer.Stop()
	c.sess.Close(nil) // no-op when the core closed first
	close(c.done)
	<-c.written
	<-c.closing // Close was called, by the line above or by the core
	var ne net.Error
	waited := errors.As(reason, &ne) && ne.Timeout() // finish's read deadline passed
	if c.closeErr != nil {
		reason = c.closeErr // the server's reason wins
	}
	if waited {
		c.closeSockets()
	} else {
		c.linger()
	}
	c.sess.End(reason)
}

// readLoop reads stream headers and elements until the stream ends and
// returns why.
func (c *conn) readLoop() error {
	for {
		h, err := c.dec.Header()
		if err != nil {
			return c.readError(err)
		}
		step := c.sess.Open(h)
		for step == server.StepContinue {
			el, err := c.dec.Next()
			if err != nil {
				return c.readError(err)
			}
			step = c.sess.Receive(el)
		}
		switch step {
		case server.StepStartTLS:
			c.wmu.Lock()
			nc := c.nc
			c.wmu.Unlock()
			c.dec.Reset(nc)
		case server.StepRestart:
			c.dec.Reset(c.nc)
		default:
			return nil
		}
	}
}

// readError turns a decoder error into the session's end: a stream error
// is sent, the client's closing tag is answered with ours.
func (c *conn) readError(err error) error {
	var serr *stream.Error
	switch {
	case errors.As(err, &serr):
		c.sess.Close(serr)
		return serr
	case errors.Is(err, io.EOF):
		c.sess.Close(nil) // RFC 6120 §4.4: answer with our closing tag
		return nil
	}
	return err
}

// linger waits briefly for the client to close after our closing tag,
// then closes the socket (closing at once could reset the connection
// before the client read the stream error).
func (c *conn) linger() {
	if !c.aborted.Load() {
		c.wmu.Lock()
		nc := c.nc
		c.wmu.Unlock()
		nc.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, io.LimitReader(nc, 64<<10))
	}
	c.closeSockets()
}

// closeSockets closes the connection: the TLS layer first (its
// close_notify), unless the client reads nothing.
func (c *conn) closeSockets() {
	c.wmu.Lock()
	nc := c.nc
	c.wmu.Unlock()
	if !c.aborted.Load() {
		nc.Close()
	}
	c.raw.Close()
}

// writeLoop drains the session on Notify, writes whitespace keepalives
// when idle, and on Close writes what is left, the stream error and the
// closing tag.
func (c *conn) writeLoop() {
	defer close(c.written)
	ka := time.NewTimer(c.srv.cfg.KeepAlive)
	defer ka.Stop()
	for {
		select {
		case <-c.notify:
			if c.flush(nil) != nil {
				c.raw.Close() // the read loop notices and ends the session
				<-c.done
				return
			}
		case <-ka.C:
			c.wmu.Lock()
			if c.headerSent {
				c.write([]byte(" "))
			}
			c.wmu.Unlock()
		case <-c.closing:
			c.finish()
			return
		case <-c.done:
			select {
			case <-c.closing: // both ready: the close still gets written
				c.finish()
			default:
			}
			return
		}
		ka.Reset(c.srv.cfg.KeepAlive)
	}
}

// finish writes the rest of the queue, the stream error and the closing
// tag, then half-closes so the client sees the end.
func (c *conn) finish() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.aborted.Load() {
		return
	}
	if !c.headerSent { // RFC 6120 §4.9.1.1: a header precedes the error
		c.writeHeaderLocked(stream.ResponseHeader{ID: c.sess.ID(), From: c.defaultDomain(), Version: "1.0"})
	}
	tail := []byte(stream.CloseTag)
	if c.closeErr != nil {
		tail = append(stream.Marshal(c.closeErr.Element()), tail...)
	}
	if c.flushLocked(tail) != nil {
		return
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTimeout)) // unblock the read loop
}

func (c *conn) defaultDomain() string {
	if d := c.srv.core.Domains(); len(d) > 0 {
		return d[0]
	}
	return ""
}

// flush writes everything queued followed by tail.
func (c *conn) flush(tail []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked(tail)
}

// flushLocked drains the session and writes in one syscall where
// possible. Precondition: c.wmu held.
func (c *conn) flushLocked(tail []byte) error {
	if c.aborted.Load() {
		return errAborted // leave the queue to Session.End
	}
	c.batch = c.sess.Drain(c.batch[:0])
	c.buf.Reset()
	for _, el := range c.batch {
		stream.Write(&c.buf, el)
	}
	clear(c.batch)
	c.buf.Write(tail)
	if c.buf.Len() == 0 {
		return nil
	}
	return c.write(c.buf.Bytes())
}

// write writes b with the write deadline. Precondition: c.wmu held.
func (c *conn) write(b []byte) error {
	if c.aborted.Load() {
		return errAborted
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	if c.aborted.Load() { // Close's deadline may have come before ours
		c.nc.SetWriteDeadline(time.Now())
	}
	_, err := c.nc.Write(b)
	return err
}

// errAborted is returned by writes after a slow consumer was closed.
var errAborted = errors.New("c2s: connection aborted")

func (c *conn) writeHeaderLocked(h stream.ResponseHeader) {
	c.headerSent = true
	c.write(stream.OpenTag(h))
}

// Notify implements server.Transport.
func (c *conn) Notify() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// OpenStream implements server.Transport: queued output first, then the
// response header.
func (c *conn) OpenStream(h stream.ResponseHeader) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.flushLocked(nil)
	c.writeHeaderLocked(h)
}

// Close implements server.Transport; the write loop does the writing. A
// slow consumer (server.ErrSlowConsumer) is cut off at once instead: a
// write blocked on its full socket is interrupted and the read loop
// stops, so it does not hold the connection for the write timeout.
func (c *conn) Close(err *stream.Error) {
	c.closeOnce.Do(func() {
		c.closeErr = err
		if err == server.ErrSlowConsumer {
			c.aborted.Store(true)
			c.raw.SetDeadline(time.Now())
		}
		close(c.closing)
	})
}

// StartTLS implements server.TLSStarter (RFC 6120 §5.4.3.3): it writes
// the queued <proceed/> and runs the TLS handshake (TLS 1.2 or later).
func (c *conn) StartTLS() (*tls.ConnectionState, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.flushLocked(nil); err != nil {
		return nil, err
	}
	if c.dec.Buffered() > 0 {
		return nil, errors.New("c2s: data after <starttls/>")
	}
	tc := tls.Server(c.nc, c.srv.cfg.TLS)
	c.nc.SetDeadline(time.Now().Add(c.srv.cfg.HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	c.nc = tc
	c.headerSent = false
	cs := tc.ConnectionState()
	return &cs, nil
}
