package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"sync"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/rs/zerolog"
)

// TransportInfo describes the transport a session runs over.
type TransportInfo struct {
	Kind        string               // "c2s" or "bosh"
	RemoteAddr  string               // host:port of the peer
	TLS         *tls.ConnectionState // nil when not encrypted
	CanStartTLS bool                 // c2s before TLS; never for BOSH
	// Secure marks a transport as confidential without a TLS state of its
	// own (HTTPS terminated by a trusted proxy, loopback).
	Secure bool
	// ServerCert is the DER leaf certificate the server presented, for
	// tls-server-end-point channel binding (RFC 5929 §4); nil if unknown.
	ServerCert []byte
}

// Transport is implemented by a c2s connection or a BOSH session. The core
// never calls it while holding a lock.
type Transport interface {
	// Notify says output is queued: call Session.Drain soon. Never blocks.
	Notify()
	// OpenStream says the core accepted a stream open or restart; a TCP
	// transport writes the response header (after any output still queued).
	OpenStream(h stream.ResponseHeader)
	// Close ends the transport, after writing queued output and err when
	// non-nil. Called once. It must not block for long, and the transport
	// must call Session.End once it is gone.
	Close(err *stream.Error)
}

// TLSStarter is implemented by transports that can negotiate STARTTLS
// (RFC 6120 §5). StartTLS writes all queued output (the <proceed/>), runs
// the TLS handshake as server and returns the connection state; the
// transport reads the next stream header from the TLS layer.
type TLSStarter interface {
	StartTLS() (*tls.ConnectionState, error)
}

// Step tells the transport what to do after Open or Receive.
type Step int

// Steps.
const (
	// StepContinue: read the next element.
	StepContinue Step = iota
	// StepStartTLS: TLS was negotiated through TLSStarter; reset the
	// decoder onto the TLS layer and read a new stream header.
	StepStartTLS
	// StepRestart: SASL succeeded (RFC 6120 §6.4.6); reset the decoder and
	// read a new stream header (BOSH: expect xmpp:restart).
	StepRestart
	// StepClose: the session is closing; stop reading.
	StepClose
)

// State is the negotiation state of a session as a set of flags.
type State uint8

// State flags.
const (
	// Secure: TLS is in place (or the transport is otherwise confidential).
	Secure State = 1 << iota
	// Authenticated: SASL succeeded.
	Authenticated
	// Bound: a resource is bound (RFC 6120 §7); the session routes stanzas.
	Bound
)

// Session is one client stream, whatever transport carries it. Open and
// Receive are called by one goroutine at a time, in order; the other
// methods are safe from any goroutine.
//
// An idle session is mostly this struct (server/login_test.go measures
// it): it keeps no logger, context, goroutine or timer of its own, no
// queue array while nothing is queued, and nothing of the SASL exchange
// once it is over.
type Session struct {
	core *Core
	t    Transport
	id   [16]byte // ID in binary
	next *Session // the user's next bound session; guarded by Registry.mu

	mu        sync.Mutex // guards jid to priority
	jid       jid.JID    // bare once authenticated, full once bound
	queue     []*etree.Element
	state     State
	closing   bool
	ended     bool
	available bool
	rosterReq bool
	priority  int8

	// Read side: touched only by Open and Receive (one goroutine).
	opened   bool
	failures uint8 // counted SASL failures, at most 255
	info     TransportInfo
	domain   string         // a string of Options.Domains
	lang     string         // written under mu (Lang reads it from anywhere)
	mech     sasl.Mechanism // during a SASL exchange only
}

// sessionContext is the context Context hands out.
type sessionContext struct {
	context.Context
	cancel context.CancelFunc
}

// NewSession starts a session over t. If the core is shutting down the
// session is closed at once with <system-shutdown/>.
func (c *Core) NewSession(t Transport, info TransportInfo) *Session {
	// require_tls gates a transport that can negotiate TLS itself (c2s,
	// RFC 6120 §5.3.1). A transport that cannot (BOSH, whose security is
	// that of its HTTP connection, XEP-0206 §4) is never left without
	// mechanisms: PLAIN is then withheld unless it is secure.
	s := &Session{core: c, t: t, info: info}
	_, _ = rand.Read(s.id[:])
	if info.TLS != nil || info.Secure {
		s.state |= Secure
	}
	if !c.addSession(s) {
		s.closing = true
		t.Close(&stream.Error{Condition: stream.SystemShutdown})
	}
	return s
}

// ID returns the session's identifier (also its first stream id).
func (s *Session) ID() string { return hex.EncodeToString(s.id[:]) }

// Log returns a logger with the session's fields (sid, transport, remote
// and, once authenticated, jid). It is built on each call.
func (s *Session) Log() *zerolog.Logger {
	l := LogWith(s.core.log, s.logFields()...)
	return &l
}

// logFields returns the session's log fields as key, value pairs.
func (s *Session) logFields() []string {
	kv := []string{"sid", s.ID(), "transport", s.info.Kind, "remote", s.info.RemoteAddr}
	if j := s.JID(); !j.IsZero() {
		kv = append(kv, "jid", j.String())
	}
	return kv
}

// event adds the session's fields to e, an event of the core's logger,
// nil when its level is disabled (then nothing is formatted). The caller
// must not hold s.mu.
func (s *Session) event(e *zerolog.Event) *zerolog.Event {
	if e == nil {
		return nil
	}
	kv := s.logFields()
	for i := 0; i+1 < len(kv); i += 2 {
		e.Str(kv[i], kv[i+1])
	}
	return e
}

func (s *Session) logDebug() *zerolog.Event { return s.event(s.core.log.Debug()) }
func (s *Session) logInfo() *zerolog.Event  { return s.event(s.core.log.Info()) }
func (s *Session) logWarn() *zerolog.Event  { return s.event(s.core.log.Warn()) }
func (s *Session) logError() *zerolog.Event { return s.event(s.core.log.Error()) }

// Core returns the core the session belongs to.
func (s *Session) Core() *Core { return s.core }

// mustTLS reports whether require_tls applies and TLS is not up yet: the
// transport can start TLS and has not (RFC 6120 §5.3.1). Read side only.
func (s *Session) mustTLS() bool {
	return s.core.opts.RequireTLS && s.info.CanStartTLS && s.State()&Secure == 0
}

// Context returns a context cancelled when the session ends. It is made
// on first use and kept by the core, not in the session: the core itself
// does not need one per session.
func (s *Session) Context() context.Context {
	c := s.core
	c.mu.Lock()
	defer c.mu.Unlock()
	if sc := c.ctxs[s]; sc != nil {
		return sc.Context
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	ended := s.ended
	s.mu.Unlock()
	if ended {
		cancel()
		return ctx
	}
	if c.ctxs == nil {
		c.ctxs = map[*Session]*sessionContext{}
	}
	c.ctxs[s] = &sessionContext{Context: ctx, cancel: cancel}
	return ctx
}

// cancelContext cancels the context Context made for s, if any.
func (c *Core) cancelContext(s *Session) {
	c.mu.Lock()
	sc := c.ctxs[s]
	delete(c.ctxs, s)
	c.mu.Unlock()
	if sc != nil {
		sc.cancel()
	}
}

// Info returns the transport description.
func (s *Session) Info() TransportInfo { return s.info }

// JID returns the full JID once bound, the bare JID once authenticated,
// the zero JID before.
func (s *Session) JID() jid.JID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.jid
}

func (s *Session) authJID() jid.JID { return s.JID() }

// State returns the negotiation state flags.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// IsBound reports whether the session has bound a resource.
func (s *Session) IsBound() bool { return s.State()&Bound != 0 }

// Lang returns the xml:lang of the client's stream header, "" if none
// (RFC 6120 §4.7.4).
func (s *Session) Lang() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lang
}

// Domain returns the domain the client opened the stream to.
func (s *Session) Domain() string { return s.domain }

// Drain appends all queued output to dst and empties the queue. It never
// blocks on I/O.
func (s *Session) Drain(dst []*etree.Element) []*etree.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.queue...)
	s.queue = nil // an idle session keeps no queue array
	return dst
}

// Deliver queues el (read-only from now on) for the client and notifies
// the transport. It returns false when the session is closing; the caller
// then treats el as undeliverable. A full queue closes the session with
// <resource-constraint/> (slow consumer): memory stays bounded.
func (s *Session) Deliver(el *etree.Element) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, el)
	full := len(s.queue) > s.core.opts.OutQueue
	s.mu.Unlock()
	if full {
		s.logWarn().Int("queued", s.core.opts.OutQueue).Msg("slow consumer")
		s.Close(ErrSlowConsumer)
		return true
	}
	s.t.Notify()
	return true
}

// send queues a negotiation element even while Close is under way, so
// that a final <failure/> precedes the stream error.
func (s *Session) send(el *etree.Element) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, el)
	s.mu.Unlock()
	s.t.Notify()
}

// Close ends the session from the server side: it leaves the Registry at
// once, and the transport writes what is queued, then err, then closes.
// Idempotent.
func (s *Session) Close(err *stream.Error) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.mu.Unlock()
	if err != nil {
		s.logDebug().Str("reason", string(err.Condition)).Msg("closing session")
	}
	s.core.registry.remove(s)
	s.t.Close(err)
}

// End is called by the transport once it is gone (EOF, I/O error,
// timeout, BOSH inactivity, or after Close). The session leaves the
// Registry, output that was never written goes to the undeliverable hook
// and then the OnSessionEnd hooks run. Idempotent.
func (s *Session) End(reason error) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended, s.closing = true, true
	left := s.queue
	s.queue = nil
	bound := s.state&Bound != 0
	s.mu.Unlock()
	s.core.cancelContext(s)
	s.core.registry.remove(s)
	defer s.core.removeSession(s) // last: Shutdown waits for it
	s.logDebug().AnErr("reason", reason).Msg("session ended")
	var stanzas []*etree.Element
	for _, el := range left {
		if isStanza(el) {
			stanzas = append(stanzas, el)
		}
	}
	if len(stanzas) > 0 {
		s.core.mu.Lock()
		fn := s.core.undeliv
		s.core.mu.Unlock()
		s.core.safely("undeliverable hook", func() { fn(s, stanzas) })
	}
	if bound {
		s.core.mu.Lock()
		hooks := s.core.onEnd
		s.core.mu.Unlock()
		for _, h := range hooks {
			s.core.safely("session end hook", func() { h(s, reason) })
		}
	}
}

// SetPresence records the session's last broadcast presence: whether it
// is available (has sent initial presence, RFC 6121 §4.2) and its
// priority (RFC 6121 §4.7.2.3, -128 to 127). The presence stanza itself
// is the presence module's to keep.
func (s *Session) SetPresence(available bool, priority int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.available, s.priority = available, int8(max(-128, min(127, priority)))
}

// Presence returns what SetPresence recorded.
func (s *Session) Presence() (available bool, priority int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.available, int(s.priority)
}

// SetRosterRequested marks that the client fetched its roster and is an
// "interested resource" for roster pushes (RFC 6121 §2.1.6).
func (s *Session) SetRosterRequested() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rosterReq = true
}

// RosterRequested reports whether SetRosterRequested was called.
func (s *Session) RosterRequested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rosterReq
}

func (s *Session) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Session) setState(add State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state |= add
}

func (s *Session) setJID(j jid.JID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jid = j
}

// randomID returns 16 random bytes in hex.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ns returns the namespace of a top-level element: its xmlns attribute,
// or jabber:client when it has none.
func ns(el *etree.Element) string {
	if v := el.SelectAttrValue("xmlns", ""); v != "" {
		return v
	}
	return NSClient
}

func isStanza(el *etree.Element) bool {
	if ns(el) != NSClient {
		return false
	}
	switch el.Tag {
	case "message", "presence", "iq":
		return true
	}
	return false
}
