package bosh

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/rs/zerolog"
)

// Reasons handed to Session.End.
var (
	// ErrTerminated: the client sent type='terminate' (XEP-0124 §13).
	ErrTerminated = errors.New("bosh: session terminated by the client")
	// ErrInactive: no request within 'inactivity' (XEP-0124 §10).
	ErrInactive = errors.New("bosh: session inactive")
	// ErrShutdown: the server is shutting down (XEP-0124 §17.2).
	ErrShutdown = errors.New("bosh: system shutdown")
)

// BindingError is the reason given to Session.End when a binding error
// (XEP-0124 §17.2) ended the session.
type BindingError struct{ Condition string }

// Error implements error.
func (e *BindingError) Error() string { return "bosh: " + e.Condition }

// request is one HTTP request of a session, from arrival to response.
type request struct {
	body     *reqBody
	rid      uint64
	arrived  time.Time
	deadline time.Time     // when a held request gets its empty answer
	empty    bool          // no payloads and no pause/terminate/restart
	done     chan struct{} // closed once resp is set
	resp     *response
	gone     bool // the client went away before the response was written
	cached   bool // resp is a cached copy for a repeated rid

	sess      *session
	hc        *hconn // the adopted connection rq is parked on, if any
	acceptEnc string // the request's Accept-Encoding, when compressing
}

// cached is a response kept for a repeated rid (XEP-0124 §14.3).
type cached struct {
	rid  uint64
	resp *response
	sent time.Time
}

// session is one BOSH session (XEP-0124 §7). It implements server.Transport.
//
// Lock order: session.mu → session.nmu → wheel.mu. No lock of the session
// is held while server.Transport methods run (the core calls them), and nmu is a
// leaf: nothing is called while holding it.
type session struct {
	m    *Manager
	sid  string
	core Session
	log  zerolog.Logger

	// Fixed at creation.
	wait        time.Duration
	hold        int // granted hold; 0 for polling sessions
	requests    int
	polling     bool
	inactivity  time.Duration
	legacy      bool // no 'ver' in the creation request (XEP-0124 §17.1)
	acks        bool // the client acknowledges responses (XEP-0124 §9.2)
	contentType string
	to, lang    string
	xmppVersion string
	clientFrom  string
	secure      bool
	remoteIP    string
	created     time.Time
	authed      bool // SASL succeeded (or the core does not say)

	mu          sync.Mutex // guards everything below
	last        uint64     // highest rid processed in order
	pending     map[uint64]*request
	held        []*request // processed, unanswered, in rid order
	cache       []cached
	cacheBytes  int
	pauses      []uint64        // rids of recent pause requests (B-076)
	lost        map[uint64]bool // answered rids whose response never left
	out         []*etree.Element
	key         string // expected SHA-1 of the next key (XEP-0124 §15)
	pauseFor    time.Duration
	idleSince   time.Time
	wheelAt     time.Time // earliest wheel entry, zero if none
	prevArrival time.Time
	prevEmpty   bool
	repeatRID   uint64
	repeatN     int
	repeatAt    time.Time
	ended       bool
	overflow    bool      // too many unacknowledged responses (B-125)
	final       *response // terminal response waiting for a request
	lastSent    uint64
	ready       []*request // answered adopted requests to write after unlock

	nmu      sync.Mutex // guards the fields set by the core
	streamID string
	from     string
	closing  bool
	closeErr *stream.Error

	notified atomic.Bool
}

// Notify implements server.Transport: output is queued. Never blocks.
func (s *session) Notify() {
	if s.notified.CompareAndSwap(false, true) {
		s.m.work.do(s.asyncFlush)
	}
}

// OpenStream implements server.Transport: records the stream id and 'from' for the
// creation response (XEP-0206 §3-§4).
func (s *session) OpenStream(h stream.ResponseHeader) {
	s.nmu.Lock()
	s.streamID, s.from = h.ID, h.From
	if h.Version != "" {
		s.xmppVersion = h.Version
	}
	s.nmu.Unlock()
}

// Close implements server.Transport: the core ends the session, with err sent as
// remote-stream-error when non-nil (XEP-0206 §6).
func (s *session) Close(err *stream.Error) {
	s.nmu.Lock()
	if s.closing {
		s.nmu.Unlock()
		return
	}
	s.closing, s.closeErr = true, err
	s.nmu.Unlock()
	s.Notify()
}

// closeRequested returns the core's close request, if any.
func (s *session) closeRequested() (bool, *stream.Error) {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	return s.closing, s.closeErr
}

// asyncFlush delivers output the core queued outside a request.
func (s *session) asyncFlush() {
	s.notified.Store(false)
	s.mu.Lock()
	defer s.unlock()
	if !s.ended {
		s.flushLocked()
		s.checkOverflow()
	}
}

// checkOverflow ends an acknowledging session whose client left more than
// MaxUnacked responses unacknowledged (B-125). The caller holds mu.
func (s *session) checkOverflow() {
	if s.overflow && !s.ended {
		s.terminateLocked(condPolicyViolation, nil)
	}
}

// liveHeld counts held requests whose client is still there.
func (s *session) liveHeld() int {
	n := 0
	for _, rq := range s.held {
		if !rq.gone {
			n++
		}
	}
	return n
}

// answerLocked sets rq's response and wakes its handler. The caller holds mu.
func (s *session) answerLocked(rq *request, resp *response) {
	if rq.resp != nil {
		return
	}
	rq.resp = resp
	s.complete(rq)
	s.removeHeld(rq)
	if resp.cache && !rq.gone {
		s.remember(rq.rid, resp)
	}
	if rq.rid > s.lastSent {
		s.lastSent = rq.rid
	}
	s.m.stats.response(resp)
	s.maybeIdle()
}

// removeHeld drops rq from the held list.
func (s *session) removeHeld(rq *request) {
	for i, h := range s.held {
		if h == rq {
			s.held = append(s.held[:i], s.held[i+1:]...)
			s.m.stats.HeldRequests.Add(-1)
			return
		}
	}
}

// insertHeld adds rq to the held list in rid order.
func (s *session) insertHeld(rq *request) {
	i := len(s.held)
	for i > 0 && s.held[i-1].rid > rq.rid {
		i--
	}
	s.held = append(s.held, nil)
	copy(s.held[i+1:], s.held[i:])
	s.held[i] = rq
	s.m.stats.HeldRequests.Add(1)
}

// maybeIdle starts the inactivity clock once no request is held or
// pending (XEP-0124 §10, B-103). The caller holds mu.
func (s *session) maybeIdle() {
	if s.ended || s.liveHeld() > 0 || len(s.pending) > 0 {
		return
	}
	s.idleSince = time.Now()
	s.schedule(s.idleSince.Add(s.curInactivity()))
}

// schedule makes the wheel call checkIdle at at, unless an earlier call
// is already due. The caller holds mu.
func (s *session) schedule(at time.Time) {
	if s.wheelAt.IsZero() || at.Before(s.wheelAt) {
		s.wheelAt = at
		s.m.wheel.add(s, at)
	}
}

// curInactivity is the inactivity period now in force: a pause replaces it
// until the next request (XEP-0124 §10).
func (s *session) curInactivity() time.Duration {
	if s.pauseFor > 0 {
		return s.pauseFor
	}
	return s.inactivity
}

// checkIdle is called by the wheel; it ends a session idle for longer than
// its inactivity period (XEP-0124 §10, B-101).
func (s *session) checkIdle(now time.Time) {
	s.mu.Lock()
	defer s.unlockAsync()
	s.wheelAt = time.Time{}
	if s.ended {
		return
	}
	if s.expireDue(now); s.ended {
		return
	}
	s.checkAuth(now)
	if s.liveHeld() > 0 || len(s.pending) > 0 {
		return
	}
	at := s.idleSince.Add(s.curInactivity())
	if now.Before(at) {
		s.schedule(at)
		return
	}
	s.log.Debug().Msg("bosh session inactive")
	s.m.stats.termination("inactivity")
	s.finishLocked(ErrInactive)
}

// stateful is implemented by core sessions that report their state.
type stateful interface{ State() server.State }

// closer is implemented by core sessions that can be closed with a stream
// error.
type closer interface{ Close(err *stream.Error) }

// checkAuth closes a session still unauthenticated after AuthTimeout with
// <connection-timeout/> (B-251). The caller holds mu.
func (s *session) checkAuth(now time.Time) {
	if s.authed {
		return
	}
	st, ok := s.core.(stateful)
	if !ok || st.State()&server.Authenticated != 0 {
		s.authed = true
		return
	}
	if now.Sub(s.created) < s.m.cfg.AuthTimeout {
		return
	}
	s.authed = true // once
	if c, ok := s.core.(closer); ok {
		c.Close(stream.NewError(stream.ConnectionTimeout, "not authenticated in time"))
	}
}

// finishLocked removes the session and ends the core session, handing back
// any output no request fetched. The caller holds mu.
func (s *session) finishLocked(reason error) {
	if s.ended {
		return
	}
	s.ended = true
	s.m.remove(s)
	for _, rq := range s.held {
		if rq.resp == nil {
			rq.resp = termResponse(condOtherRequest, s.legacy)
			s.complete(rq)
		}
	}
	s.m.stats.HeldRequests.Add(-int64(len(s.held)))
	s.held = nil
	for _, rq := range s.pending {
		rq.resp = termResponse(condOtherRequest, s.legacy)
		s.complete(rq)
	}
	s.pending = nil
	if s.final != nil {
		s.out = append(s.final.els, s.out...)
		s.final = nil
	}
	if len(s.out) > 0 {
		s.core.Undeliverable(s.out)
		s.out = nil
	}
	s.log.Debug().Str("jid", s.jid()).AnErr("reason", reason).Msg("bosh session ended")
	s.core.End(reason)
}

// jid returns the session's address for logs, "" before bind.
func (s *session) jid() string {
	if j, ok := s.core.(interface{ JID() jid.JID }); ok {
		return j.JID().String()
	}
	return ""
}

// terminateLocked ends the session with a binding condition (XEP-0124
// §17.2): rq (if any) gets it, every other open request other-request
// (B-179). The caller holds mu.
func (s *session) terminateLocked(cond string, rq *request) {
	if s.ended {
		if rq != nil && rq.resp == nil {
			rq.resp = termResponse(condItemNotFound, s.legacy)
			s.complete(rq)
		}
		return
	}
	s.m.stats.termination(cond)
	s.log.Debug().Str("condition", cond).Msg("bosh session terminated")
	if rq != nil {
		s.answerLocked(rq, termResponse(cond, s.legacy))
	}
	others := condOtherRequest
	if cond == condSystemShutdown || cond == condHostGone {
		others = cond // not caused by another request
	}
	for _, h := range append([]*request(nil), s.held...) {
		s.answerLocked(h, termResponse(others, s.legacy))
	}
	var reason error = &BindingError{Condition: cond}
	if cond == condSystemShutdown {
		reason = ErrShutdown
	}
	s.finishLocked(reason)
}
