// Package admin serves the local admin socket (<data_dir>/parley.sock) a
// running server listens on. The CLI, after it changed a user in storage,
// sends one JSON line such as
//
//	{"op":"kick","jid":"alice@localhost","reason":"deleted"}
//
// and the server applies the live effect: deleting or disabling an account
// ends its sessions with <not-authorized/>, a password change with
// <reset/> (RFC 6120 §4.9.3). The reply is one JSON line
// {"ok":true,"sessions":N} or {"ok":false,"error":"..."}.
//
// With PostgreSQL the same lines also travel as notifications on the
// storage.AdminChannel channel (LISTEN/NOTIFY), so that a CLI with no
// access to the socket (another machine, another data directory) still
// reaches every server using the database; see Server.Subscribe.
package admin

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/rs/zerolog"
)

// SocketName is the file name of the socket inside the data directory.
const SocketName = "parley.sock"

// Request is one admin command.
type Request struct {
	Op     string `json:"op"`     // "kick"
	JID    string `json:"jid"`    // bare JID of the account
	Reason string `json:"reason"` // "deleted", "disabled", "password", "roster"
}

// Response answers a Request.
type Response struct {
	OK       bool   `json:"ok"`
	Sessions int    `json:"sessions,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Server listens on the admin socket.
type Server struct {
	core *server.Core
	ln   net.Listener
	path string
	log  zerolog.Logger
	wg   sync.WaitGroup

	mu       sync.Mutex // guards onRoster
	onRoster func(user jid.JID)
}

// Listen binds the socket at path (mode 0600). A stale socket file left by
// a crashed server is replaced; a live one means another server runs on
// this data directory, which is an error.
func Listen(path string, core *server.Core, log zerolog.Logger) (*Server, error) {
	if _, err := os.Stat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("admin: %s is in use: is another server running on this data directory?", path)
		}
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin: %w", err)
	}
	s := &Server{core: core, ln: ln, path: path, log: log}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// OnRoster sets what a "roster" notification does (the roster module
// pushes the changed roster, RFC 6121 §2.1.6). Without it the
// notification is acknowledged and nothing else happens.
func (s *Server) OnRoster(fn func(user jid.JID)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRoster = fn
}

// Addr returns the socket path.
func (s *Server) Addr() string { return s.path }

// Close stops listening, removes the socket and waits for open requests.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error().Err(err).Msg("admin accept failed")
			}
			return
		}
		s.wg.Add(1)
		go s.serve(c)
	}
}

// serve answers the requests of one connection, one JSON line each.
func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 4096), 64<<10)
	enc := json.NewEncoder(c)
	for sc.Scan() {
		if enc.Encode(s.Apply(sc.Bytes())) != nil {
			return
		}
	}
}

// Apply decodes one JSON request and applies it.
func (s *Server) Apply(line []byte) Response {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return Response{Error: "invalid JSON"}
	}
	return s.Do(req)
}

// Do applies one request. Applying a request twice is harmless (the
// second kick finds no session), so a change may arrive both through the
// socket and through storage notifications.
func (s *Server) Do(req Request) Response {
	if req.Op != "kick" {
		return Response{Error: "unknown op " + req.Op}
	}
	user, err := jid.Parse(req.JID)
	if err != nil || user.Localpart() == "" {
		return Response{Error: "invalid jid"}
	}
	user = user.Bare()
	var cond stream.Condition
	switch req.Reason {
	case "deleted", "disabled":
		cond = stream.NotAuthorized
	case "password":
		cond = stream.Reset
	case "roster":
		s.mu.Lock()
		fn := s.onRoster
		s.mu.Unlock()
		if fn != nil {
			fn(user)
		}
		return Response{OK: true}
	default:
		return Response{Error: "unknown reason " + req.Reason}
	}
	n := s.core.Kick(user, stream.NewError(cond, "account "+req.Reason))
	s.log.Info().Str("jid", user.String()).Str("reason", req.Reason).Int("sessions", n).Msg("admin kick")
	return Response{OK: true, Sessions: n}
}
