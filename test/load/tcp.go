package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// tcpConn is an XMPP client stream over TCP (RFC 6120).
type tcpConn struct {
	c      net.Conn
	r      *bufio.Reader
	dec    *xml.Decoder
	header xml.StartElement // the server's stream header
	wmu    sync.Mutex
	domain string
	jid    string
	closed atomic.Bool
	done   chan struct{} // closed when the reader goroutine ends
}

// dialTCP connects to addr and logs a in, with STARTTLS when useTLS.
// The whole negotiation must finish before deadline.
func dialTCP(ctx context.Context, env *netEnv, addr string, a account, useTLS bool, mech string, deadline time.Time) (*tcpConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c, err := env.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t := &tcpConn{c: c, r: bufio.NewReader(c), domain: a.domain}
	c.SetDeadline(deadline)
	if err := t.negotiate(env, a, useTLS, mech); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return t, nil
}

func (t *tcpConn) negotiate(env *netEnv, a account, useTLS bool, mech string) error {
	features, err := t.open()
	if err != nil {
		return err
	}
	st := features.child(nsTLS, "starttls")
	switch {
	case useTLS && st == nil:
		return errors.New("server offers no STARTTLS")
	case useTLS:
		if features, err = t.startTLS(env.tlsCfg); err != nil {
			return err
		}
	case st != nil && st.child(nsTLS, "required") != nil:
		return errors.New("server requires STARTTLS: run with -tls")
	}
	t.jid, err = login(t, features, a, mech)
	return err
}

// open sends a stream header and reads the server's header and features
// (RFC 6120 §4.2, §4.3.2).
func (t *tcpConn) open() (*elem, error) {
	hdr := "<?xml version='1.0'?><stream:stream to='" + esc(t.domain) +
		"' version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='" + nsStream + "'>"
	if err := t.send(hdr); err != nil {
		return nil, err
	}
	t.dec = xml.NewDecoder(t.r)
	start, err := openWrapper(t.dec, nsStream, "stream")
	if err != nil {
		return nil, err
	}
	t.header = start
	f, err := recvTop(t)
	if err != nil {
		return nil, err
	}
	if !f.is(nsStream, "features") {
		return nil, fmt.Errorf("expected stream features, got %v", f)
	}
	return f, nil
}

// startTLS upgrades the connection (RFC 6120 §5.4) and returns the
// features of the new stream.
func (t *tcpConn) startTLS(cfg *tls.Config) (*elem, error) {
	if err := t.send("<starttls xmlns='" + nsTLS + "'/>"); err != nil {
		return nil, err
	}
	e, err := recvTop(t)
	if err != nil {
		return nil, err
	}
	if !e.is(nsTLS, "proceed") {
		return nil, fmt.Errorf("STARTTLS: got %v", e)
	}
	tc := tls.Client(t.c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	t.c = tc
	t.r = bufio.NewReader(tc)
	return t.open()
}

func (t *tcpConn) restart() (*elem, error) { return t.open() }

func (t *tcpConn) send(raw string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_, err := io.WriteString(t.c, raw)
	return err
}

func (t *tcpConn) recv() (*elem, error) {
	e, err := nextElem(t.dec)
	if err == io.EOF {
		return nil, errors.New("stream closed by the server")
	}
	return e, err
}

// JID returns the bound full JID.
func (t *tcpConn) JID() string { return t.jid }

// Send writes one stanza.
func (t *tcpConn) Send(stanza string) error { return t.send(stanza) }

// Start reads stanzas in a goroutine, handing each to onElem; a read
// error other than after Close goes to onErr. From here on the stream is
// read by a stanzaReader, from where the negotiation's decoder stopped
// (it reads nothing past the end of the last element it returned).
func (t *tcpConn) Start(onElem func(*elem), onErr func(error)) {
	t.done = make(chan struct{})
	sr := newStanzaReader(t.r, t.header)
	t.dec = nil
	handle := func(e *elem) error {
		if e.is(nsStream, "error") {
			return streamErr(e)
		}
		onElem(e)
		return nil
	}
	go func() {
		defer close(t.done)
		var err error
		if lr, ok := t.c.(loopReader); ok {
			err = t.readPushed(lr, sr, handle)
		} else {
			err = t.readPulled(sr, handle)
		}
		if err == io.EOF {
			err = errors.New("stream closed by the server")
		}
		if !t.closed.Load() {
			onErr(err)
		}
	}()
}

// readPulled reads the stream element by element.
func (t *tcpConn) readPulled(sr *stanzaReader, handle func(*elem) error) error {
	for {
		e, err := sr.next()
		if err == nil {
			err = handle(e)
		}
		if err != nil {
			return err
		}
	}
}

// loopReader is a connection that reads in a loop, handing what it reads
// to a function, without a read attempt that finds nothing between two
// (rawConn.readLoop).
type loopReader interface {
	readLoop(room func() ([]byte, error), got func(n int) error) error
}

// readPushed reads the stream with lr: elements are handled as the bytes
// arrive, from inside the poller's read operation.
func (t *tcpConn) readPushed(lr loopReader, sr *stanzaReader, handle func(*elem) error) error {
	for t.r.Buffered() > 0 { // what the negotiation's reader holds
		p, err := sr.room()
		if err != nil {
			return err
		}
		n, _ := t.r.Read(p[:min(len(p), t.r.Buffered())])
		if err := sr.feed(n, handle); err != nil {
			return err
		}
	}
	return lr.readLoop(sr.room, func(n int) error { return sr.feed(n, handle) })
}

// Close sends extra (e.g. unavailable presence) and the stream close tag,
// waits up to 5 s for the server to close its stream, and closes the
// socket (RFC 6120 §4.4).
func (t *tcpConn) Close(extra string) error {
	if t.closed.Swap(true) {
		return nil
	}
	t.c.SetDeadline(time.Now().Add(5 * time.Second))
	err := t.send(extra + "</stream:stream>")
	if t.done != nil {
		<-t.done
	} else if err == nil {
		for {
			if _, rerr := t.recv(); rerr != nil {
				break
			}
		}
	}
	t.c.Close()
	return err
}
