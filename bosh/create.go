package bosh

import (
	"strconv"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
)

// newSession builds a session from a validated creation request.
func (m *Manager) newSession(c creation, secure bool, ip string) *session {
	s := &session{
		m:           m,
		sid:         newSID(),
		wait:        c.wait,
		requests:    c.hold + 1, // B-045
		hold:        min(c.hold, m.cfg.MaxHold),
		inactivity:  m.cfg.Inactivity,
		acks:        c.ack,
		contentType: c.content,
		to:          c.to,
		lang:        c.lang,
		xmppVersion: c.xmppVersion,
		clientFrom:  c.from,
		secure:      secure,
		remoteIP:    ip,
		last:        c.rid,
		created:     time.Now(),
		key:         c.newkey,
	}
	if s.hold == 0 || s.wait == 0 {
		// A polling session (XEP-0124 §12): nothing is held, and the
		// inactivity period grows by more than 'polling' (B-098, B-099).
		s.polling, s.hold = true, 0
		s.inactivity += 2*m.cfg.Polling + time.Second
	}
	s.log = server.LogWith(m.log, "sid", s.sid, "transport", "bosh")
	return s
}

// seconds formats d in whole seconds.
func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// creationResponse is the session creation response with every attribute
// of XEP-0124 §7.2 and XEP-0206 §4 and the first stream features (B-057).
func (s *session) creationResponse(c creation) *response {
	s.nmu.Lock()
	from, id, xv := s.from, s.streamID, s.xmppVersion
	s.nmu.Unlock()
	if from == "" {
		from = c.to
	}
	attrs := []attr{
		{"sid", s.sid},
		{"wait", seconds(s.wait)},
		{"requests", strconv.Itoa(s.requests)},
		{"hold", strconv.Itoa(s.hold)},
		{"polling", seconds(s.m.cfg.Polling)},
		{"inactivity", seconds(s.inactivity)},
	}
	if s.m.cfg.MaxPause > 0 {
		attrs = append(attrs, attr{"maxpause", seconds(s.m.cfg.MaxPause)})
	}
	if c.ver != "" {
		attrs = append(attrs, attr{"ver", c.ver})
	}
	attrs = append(attrs, attr{"from", from}, attr{"accept", "gzip,deflate"})
	if c.ack {
		attrs = append(attrs, attr{"ack", strconv.FormatUint(c.rid, 10)})
	}
	if id != "" {
		attrs = append(attrs, attr{"authid", id})
	}
	attrs = append(attrs,
		attr{"xmpp:version", xv},
		attr{"xmpp:restartlogic", "true"})
	var els []*etree.Element
	if len(s.out) > 0 && s.out[0].Space == "stream" && s.out[0].Tag == "features" {
		els = s.out[:1]
		s.out = s.out[1:]
	}
	r := newResponse(attrs, els)
	if len(els) == 0 {
		// B-205: declare the stream prefix anyway for later features.
		r.body = buildBody(attrs, nil, true)
	}
	r.cache = true
	return r
}

// remember caches resp for a repeated rid (XEP-0124 §14.3): the last
// 'requests' responses, or every unacknowledged one in acknowledging
// sessions up to MaxUnacked (B-069, B-125). The caller holds mu.
func (s *session) remember(rid uint64, resp *response) {
	s.cache = append(s.cache, cached{rid: rid, resp: resp, sent: time.Now()})
	s.cacheBytes += len(resp.body)
	limit := s.requests
	if s.acks {
		limit = s.m.cfg.MaxUnacked
	}
	if s.acks && (len(s.cache) > limit || s.cacheBytes > int(s.m.cfg.MaxBody)) {
		s.overflow = true
	}
	for len(s.cache) > limit || (s.acks && s.cacheBytes > int(s.m.cfg.MaxBody) && len(s.cache) > 1) {
		s.cacheBytes -= len(s.cache[0].resp.body)
		s.cache = s.cache[1:]
	}
}
