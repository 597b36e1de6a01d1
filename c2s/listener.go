// Package c2s is the TCP transport of client-to-server XMPP streams
// (RFC 6120): listeners with STARTTLS and direct TLS (XEP-0368), and per
// connection a read loop and a write loop around a server.Session.
package c2s

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/parley-xmpp/parley/server"
	"github.com/rs/zerolog"
)

// Config configures the c2s listeners.
type Config struct {
	Listen          []string // host:port, plaintext then STARTTLS
	DirectTLSListen []string // host:port, TLS from the first byte (XEP-0368)
	// TLS is the server TLS configuration; nil offers neither STARTTLS
	// nor direct TLS.
	TLS *tls.Config
	// HandshakeTimeout bounds the time from connect to a bound resource;
	// 0 means 30s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds each socket write; 0 means 30s.
	WriteTimeout time.Duration
	// KeepAlive is the idle time after which the server writes a
	// whitespace keepalive (RFC 6120 §4.6.1); 0 means 60s.
	KeepAlive time.Duration
	// MaxStanzaSize is the largest element accepted; 0 means the stream
	// package's default.
	MaxStanzaSize int
	Logger        zerolog.Logger
}

// Server accepts client connections and runs them against a Core.
type Server struct {
	core *server.Core
	cfg  Config
	log  zerolog.Logger

	mu        sync.Mutex // guards the fields below
	listeners []net.Listener
	conns     map[*conn]struct{}
	closed    bool

	wg sync.WaitGroup // accept loops and connections
}

// New returns a Server for core; call Start to listen.
func New(core *server.Core, cfg Config) *Server {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 60 * time.Second
	}
	return &Server{core: core, cfg: cfg, log: cfg.Logger, conns: map[*conn]struct{}{}}
}

// Start binds every configured address (port 0 picks a free port) and
// starts accepting. On error nothing stays bound.
func (s *Server) Start() error {
	if len(s.cfg.DirectTLSListen) > 0 && s.cfg.TLS == nil {
		return errors.New("c2s: direct TLS needs a certificate")
	}
	type bound struct {
		l      net.Listener
		direct bool
	}
	var ls []bound
	for i, addrs := range [][]string{s.cfg.Listen, s.cfg.DirectTLSListen} {
		for _, a := range addrs {
			l, err := net.Listen("tcp", a)
			if err != nil {
				for _, b := range ls {
					b.l.Close()
				}
				return fmt.Errorf("c2s: listen %s: %w", a, err)
			}
			ls = append(ls, bound{l, i == 1})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range ls {
		s.listeners = append(s.listeners, b.l)
		s.log.Info().Str("addr", b.l.Addr().String()).Bool("direct_tls", b.direct).Msg("c2s listening")
		s.wg.Add(1)
		go s.accept(b.l, b.direct)
	}
	return nil
}

// Addrs returns the bound addresses, plaintext listeners first.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, 0, len(s.listeners))
	for _, l := range s.listeners {
		out = append(out, l.Addr())
	}
	return out
}

// accept runs one listener's accept loop with back-off on temporary
// errors.
func (s *Server) accept(l net.Listener, direct bool) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn().Err(err).Dur("retry_in", delay).Msg("accept failed")
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := newConn(s, nc, direct)
		if !s.track(c) {
			nc.Close()
			return
		}
		go c.serve()
	}
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// StopAccepting closes the listeners; open connections go on.
func (s *Server) StopAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
}

// Shutdown stops accepting, closes every session with
// <system-shutdown/> through the core and waits for the connections to
// end; when ctx is done first the remaining sockets are closed hard.
func (s *Server) Shutdown(ctx context.Context) error {
	s.StopAccepting()
	err := s.core.Shutdown(ctx)
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.raw.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}
