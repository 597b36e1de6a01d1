package bosh

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/rs/zerolog"
)

// Manager owns the BOSH sessions: creation, lookup by sid, the shared
// inactivity wheel, shutdown and the counters.
type Manager struct {
	cfg   Config
	core  Core
	log   zerolog.Logger
	wheel *wheel
	stats Stats
	work  *workers // goroutines for flushes and poller events

	mu       sync.Mutex
	sessions map[string]*session
	perIP    map[string]int
	dead     map[string]time.Time // ended legacy sessions (B-188)
	closing  bool
	inflight atomic.Int64 // POST requests being served
}

// newManager starts the shared timer.
func newManager(cfg Config, core Core, log zerolog.Logger) *Manager {
	return &Manager{
		cfg:      cfg,
		core:     core,
		log:      log,
		wheel:    newWheel(),
		work:     newWorkers(),
		sessions: make(map[string]*session),
		perIP:    make(map[string]int),
		dead:     make(map[string]time.Time),
	}
}

// newSID returns 128 random bits from crypto/rand, URL-safe (XEP-0124
// §7.2, §19.3; B-042).
func newSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// lookup returns the live session sid, or nil.
func (m *Manager) lookup(sid string) *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[sid]
}

// remove unregisters s; idempotent.
func (m *Manager) remove(s *session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions[s.sid] != s {
		return
	}
	delete(m.sessions, s.sid)
	if s.legacy {
		m.bury(s.sid)
	}
	if m.perIP[s.remoteIP]--; m.perIP[s.remoteIP] <= 0 {
		delete(m.perIP, s.remoteIP)
	}
	m.stats.SessionsActive.Add(-1)
}

// bury remembers an ended legacy sid for a while, so that later requests
// keep getting HTTP 404 (XEP-0124 §17.1, B-188). The caller holds m.mu.
func (m *Manager) bury(sid string) {
	now := time.Now()
	if len(m.dead) >= 1024 {
		for k, at := range m.dead {
			if now.Sub(at) > 10*time.Minute || len(m.dead) >= 1024 {
				delete(m.dead, k)
			}
		}
	}
	m.dead[sid] = now
}

// buried reports whether sid is an ended legacy session.
func (m *Manager) buried(sid string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.dead[sid]
	return ok
}

// Count returns the number of live sessions.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sessions)
}

// register adds s unless the server is closing or a limit is reached; it
// returns the binding condition that refused it.
func (m *Manager) register(s *session) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closing:
		return condSystemShutdown
	case m.cfg.MaxSessions > 0 && len(m.sessions) >= m.cfg.MaxSessions:
		return condPolicyViolation
	case m.cfg.MaxSessionsPerIP > 0 && m.perIP[s.remoteIP] >= m.cfg.MaxSessionsPerIP:
		return condPolicyViolation
	}
	m.sessions[s.sid] = s
	m.perIP[s.remoteIP]++
	m.stats.SessionsCreated.Add(1)
	m.stats.SessionsActive.Add(1)
	return ""
}

// Shutdown answers every held request with system-shutdown, ends every
// session and refuses new ones (XEP-0124 §17.2, B-183); it then waits for
// the answered requests to be written, or for ctx.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closing = true
	all := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	for _, s := range all {
		s.mu.Lock()
		s.terminateLocked(condSystemShutdown, nil)
		s.unlockAsync()
	}
	m.wheel.close()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for m.inflight.Load() > 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// HostGone ends every session of domain with the binding condition
// host-gone (XEP-0124 §17.2, B-174), for a configuration reload that stops
// serving it. It returns how many sessions ended.
func (m *Manager) HostGone(domain string) int {
	m.mu.Lock()
	var victims []*session
	for _, s := range m.sessions {
		s.nmu.Lock()
		if s.from == domain {
			victims = append(victims, s)
		}
		s.nmu.Unlock()
	}
	m.mu.Unlock()
	for _, s := range victims {
		s.mu.Lock()
		s.terminateLocked(condHostGone, nil)
		s.unlockAsync()
	}
	return len(victims)
}

// creation holds the validated attributes of a session creation request
// (XEP-0124 §7.1, XEP-0206 §3).
type creation struct {
	rid         uint64
	to, lang    string
	from        string
	ver         string // negotiated 'ver', "" for legacy clients
	wait        time.Duration
	hold        int // requested
	ack         bool
	newkey      string
	content     string
	xmppVersion string
}

// parseCreation validates a creation request; it returns the binding
// condition for a refusal.
func (m *Manager) parseCreation(b *reqBody, rid uint64) (creation, string) {
	c := creation{rid: rid, from: b.attr("from"), newkey: b.attr("newkey")}
	c.content = b.attr("content")
	if c.content != "" && !m.allowedContent(c.content) {
		return c, condBadRequest // B-194
	}
	c.to = strings.TrimSpace(b.attr("to"))
	if c.to == "" {
		return c, condImproperAddressing // B-021
	}
	c.lang = b.h.Attr(nsXML, "lang")
	if v := b.attr("ver"); v != "" {
		c.ver = negotiateVersion(v, 1, 11)
	}
	c.wait = m.cfg.MaxWait
	if b.has("wait") {
		n, err := parseUint(b.attr("wait"))
		if err != nil {
			return c, condBadRequest // B-030
		}
		c.wait = min(time.Duration(min(n, 1<<20))*time.Second, m.cfg.MaxWait)
	}
	c.hold = 1
	if b.has("hold") {
		n, err := parseUint(b.attr("hold"))
		if err != nil || n > maxRequestedHold {
			return c, condBadRequest // B-032, B-045
		}
		c.hold = int(n)
	}
	if v := b.attr("ack"); v != "" {
		n, err := parseUint(v)
		c.ack = err == nil && n > 0 // B-130
	}
	c.xmppVersion = "1.0" // B-041
	if v := b.xattr("version"); v != "" {
		c.xmppVersion = negotiateVersion(v, 1, 0)
	}
	return c, ""
}

// allowedContent checks 'content' against the allowlist (B-194).
func (m *Manager) allowedContent(ct string) bool {
	norm := strings.ToLower(strings.ReplaceAll(ct, " ", ""))
	for _, a := range m.cfg.ContentTypes {
		if norm == strings.ToLower(strings.ReplaceAll(a, " ", "")) {
			return true
		}
	}
	return false
}

// negotiateVersion returns the lower of v ("major.minor", each an integer,
// leading zeros ignored) and maxMajor.maxMinor (XEP-0124 §7.1-§7.2,
// B-026..B-028; RFC 6120 §4.7.5).
func negotiateVersion(v string, maxMajor, maxMinor uint64) string {
	ours := strconv.FormatUint(maxMajor, 10) + "." + strconv.FormatUint(maxMinor, 10)
	maj, mnr, ok := strings.Cut(strings.TrimSpace(v), ".")
	a, err1 := parseUint(maj)
	b, err2 := parseUint(mnr)
	if !ok || err1 != nil || err2 != nil {
		return ours
	}
	if a > maxMajor || (a == maxMajor && b > maxMinor) {
		return ours
	}
	return strconv.FormatUint(a, 10) + "." + strconv.FormatUint(b, 10)
}

// create runs a session creation request (XEP-0124 §7, XEP-0206 §3-§4).
func (m *Manager) create(b *reqBody, rid uint64, info server.TransportInfo, secure bool, ip string) *response {
	legacy := b.attr("ver") == ""
	if m.cfg.SeeOtherURI != "" && (!m.cfg.RequireTLS || !secure) {
		r := newResponse([]attr{{"type", "terminate"}, {"condition", condSeeOtherURI}},
			[]*etree.Element{uriElement(m.cfg.SeeOtherURI)})
		r.final = true
		return r
	}
	c, cond := m.parseCreation(b, rid)
	if cond != "" {
		m.stats.termination(cond)
		return termResponse(cond, legacy)
	}
	s := m.newSession(c, secure, ip)
	s.legacy = legacy
	if cond := m.register(s); cond != "" {
		m.stats.termination(cond)
		return termResponse(cond, legacy)
	}
	s.core = m.core.NewSession(s, info)
	s.mu.Lock()
	defer s.unlock()
	step := s.core.Open(streamHeader(c.to, c.lang, c.xmppVersion, c.from))
	s.out = s.core.Drain(s.out)
	if closing, err := s.closeRequested(); closing || step == server.StepClose {
		return s.refuseCreation(err)
	}
	s.log.Debug().Msg("bosh session created")
	resp := s.creationResponse(c)
	s.remember(rid, resp)
	s.lastSent = rid
	s.maybeIdle()
	m.wheel.add(s, s.created.Add(m.cfg.AuthTimeout)) // B-251
	return resp
}

// uriElement is the <uri/> child of see-other-uri (XEP-0124 §17.2).
func uriElement(uri string) *etree.Element {
	el := etree.NewElement("uri")
	el.CreateAttr("xmlns", nsBOSH)
	el.SetText(uri)
	return el
}

// refuseCreation maps the core's refusal of a new stream onto a binding
// condition (B-022, B-181). The caller holds s.mu.
func (s *session) refuseCreation(err *stream.Error) *response {
	cond := condRemoteConnFailed
	if err != nil {
		switch err.Condition {
		case "host-unknown":
			cond = condHostUnknown
		case "improper-addressing":
			cond = condImproperAddressing
		case "system-shutdown":
			cond = condSystemShutdown
		case "host-gone":
			cond = condHostGone
		default:
			cond = condRemoteStreamError
		}
	}
	s.m.stats.termination(cond)
	resp := termResponse(cond, s.legacy)
	if cond == condRemoteStreamError && !s.legacy {
		resp = newResponse([]attr{{"type", "terminate"}, {"condition", cond}},
			[]*etree.Element{err.Element()})
		resp.final = true
	}
	s.out = nil
	s.finishLocked(&BindingError{Condition: cond})
	return resp
}
