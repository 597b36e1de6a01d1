package bosh

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stream"
	"strconv"
	"strings"
	"time"
)

// accept takes a request of this session (XEP-0124 §14.2 window model,
// bosh-requirements §3): rid ≤ last is a repeat; last < rid ≤
// last+requests is processed in rid order (queued until gaps fill); one
// more is allowed for pause or terminate (§11); anything else is
// item-not-found.
func (s *session) accept(rq *request) {
	s.mu.Lock()
	defer s.unlock()
	rq.deadline = rq.arrived.Add(s.wait) // XEP-0124 §8, B-088
	defer func() {
		// The shared wheel answers rq when its wait is over (expireDue).
		if rq.resp == nil && !s.ended {
			s.schedule(rq.deadline)
		}
	}()
	if s.ended {
		s.answerEnded(rq)
		return
	}
	if s.final != nil {
		s.deliverFinal(rq)
		return
	}
	r := rq.rid
	if r <= s.last {
		s.repeat(rq)
		return
	}
	ahead := r - s.last
	window := uint64(s.requests)
	special := rq.body.isTerminate() || s.isPause(rq.body)
	if ahead > window && !(ahead == window+1 && special) {
		s.terminateLocked(condItemNotFound, rq)
		return
	}
	s.pauseFor = 0
	if ahead > 1 {
		// B-067: a gap not filled within wait (at least polling) is fatal.
		rq.deadline = rq.arrived.Add(max(s.wait, s.m.cfg.Polling, time.Second))
		if old := s.pending[r]; old != nil {
			old.resp = emptyResponse(attr{"type", "error"})
			s.complete(old)
		}
		if s.pending == nil {
			s.pending = make(map[uint64]*request)
		}
		s.pending[r] = rq
		return
	}
	s.process(rq)
	s.processPending()
	if !s.ended {
		s.flushLocked()
		s.checkOverflow()
	}
}

// processPending processes queued requests whose gap has filled
// (XEP-0124 §14.2).
func (s *session) processPending() {
	for !s.ended {
		if closing, _ := s.closeRequested(); closing {
			return
		}
		next := s.pending[s.last+1]
		if next == nil {
			return
		}
		delete(s.pending, s.last+1)
		s.process(next)
	}
}

// answerEnded answers a request on a dead session: item-not-found, as for
// an unknown sid (XEP-0124 §13, B-165).
func (s *session) answerEnded(rq *request) {
	if rq.resp == nil {
		rq.resp = termResponse(condItemNotFound, s.legacy)
		s.complete(rq)
	}
}

// deliverFinal hands the terminal response of a core-initiated close to
// the first request that comes for it (B-169) and ends the session.
func (s *session) deliverFinal(rq *request) {
	f := s.final
	s.final = nil
	s.insertHeld(rq)
	s.answerLocked(rq, f)
	s.finishLocked(nil)
}

// isPause reports a pause request while pausing is enabled (B-110).
func (s *session) isPause(b *reqBody) bool {
	_, ok := b.pause()
	return ok && s.m.cfg.MaxPause > 0
}

// repeat handles a rid that was already processed (XEP-0124 §14.3).
func (s *session) repeat(rq *request) {
	now := rq.arrived
	if rq.rid == s.repeatRID && now.Sub(s.repeatAt) < max(s.m.cfg.Polling, time.Second) {
		s.repeatN++
	} else {
		s.repeatRID, s.repeatN, s.repeatAt = rq.rid, 1, now
	}
	if s.repeatN > s.m.cfg.MaxRepeats {
		s.terminateLocked(condPolicyViolation, rq) // B-073
		return
	}
	for i, h := range s.held {
		if h.rid == rq.rid {
			// B-071: the older copy gets a recoverable error.
			h.resp = emptyResponse(attr{"type", "error"})
			s.complete(h)
			s.m.stats.response(h.resp)
			s.held[i] = rq
			return
		}
	}
	for _, c := range s.cache {
		if c.rid == rq.rid {
			rq.resp, rq.cached = c.resp, true // B-070: the identical bytes
			s.complete(rq)
			s.m.stats.RespCached.Add(1)
			return
		}
	}
	for _, p := range s.pauses {
		if p == rq.rid {
			rq.resp = emptyResponse() // B-076
			s.complete(rq)
			return
		}
	}
	if s.lost[rq.rid] {
		// B-090: the response never reached the client; serve it again.
		delete(s.lost, rq.rid)
		s.insertHeld(rq)
		s.flushLocked()
		return
	}
	s.terminateLocked(condItemNotFound, rq) // B-074
}

// checkKey verifies the key sequence of XEP-0124 §15.4 and advances it.
func (s *session) checkKey(b *reqBody) bool {
	if s.key == "" {
		return true
	}
	k := b.attr("key")
	if len(k) != 40 {
		return false
	}
	sum := sha1.Sum([]byte(k))
	if !strings.EqualFold(hex.EncodeToString(sum[:]), s.key) {
		return false
	}
	if nk := b.attr("newkey"); nk != "" {
		s.key = nk
	} else {
		s.key = k
	}
	return true
}

// clientAck trims the responses the client acknowledged (XEP-0124 §9.2):
// 'ack' names the highest rid answered; no 'ack' acknowledges all.
func (s *session) clientAck(rq *request) (uint64, bool) {
	acked := rq.rid - 1
	explicit := false
	if v := rq.body.attr("ack"); v != "" {
		if n, err := parseUint(v); err == nil && n < rq.rid {
			acked, explicit = n, true
		}
	}
	keep := s.cache[:0]
	s.cacheBytes = 0
	for _, c := range s.cache {
		if c.rid > acked {
			keep = append(keep, c)
			s.cacheBytes += len(c.resp.body)
		}
	}
	s.cache = keep
	return acked, explicit
}

// trimWindow forgets cached responses a session without acks can no
// longer ask for again: with rid in hand the client has received every
// response up to rid-requests (XEP-0124 §14.3). The caller holds mu.
func (s *session) trimWindow(rid uint64) {
	keep := s.cache[:0]
	for _, c := range s.cache {
		if c.rid+uint64(s.requests) > rid {
			keep = append(keep, c)
		} else {
			s.cacheBytes -= len(c.resp.body)
		}
	}
	clear(s.cache[len(keep):])
	s.cache = keep
}

// overactive applies XEP-0124 §11 and §12 to a new in-order request.
// Held requests whose client went away do not count: a page reload that
// abandons its long-poll is not overactivity (Converse.js #726, #923).
func (s *session) overactive(rq *request) bool {
	prevArrival, prevEmpty := s.prevArrival, s.prevEmpty
	s.prevArrival, s.prevEmpty = rq.arrived, rq.empty
	if !rq.empty || prevArrival.IsZero() || rq.arrived.Before(prevArrival) ||
		rq.arrived.Sub(prevArrival) >= s.m.cfg.Polling {
		return false
	}
	if s.polling {
		// §12: two empty polls too close, the first answered without payload.
		return prevEmpty && !s.lastHadPayload(rq.rid-1)
	}
	return s.liveHeld()+1 >= s.requests // §11
}

// lastHadPayload reports whether rid's cached response carried payloads.
func (s *session) lastHadPayload(rid uint64) bool {
	for _, c := range s.cache {
		if c.rid == rid {
			return c.resp.payload
		}
	}
	return false
}

// process handles the next in-order request (rid == last+1).
func (s *session) process(rq *request) {
	b := rq.body
	if !s.checkKey(b) {
		s.terminateLocked(condItemNotFound, rq) // §15.4, B-133
		return
	}
	s.last = rq.rid
	var acked uint64
	explicitAck := false
	if s.acks {
		acked, explicitAck = s.clientAck(rq)
	}
	if s.overactive(rq) {
		s.terminateLocked(condPolicyViolation, rq)
		return
	}
	if !s.acks {
		s.trimWindow(rq.rid)
	}
	defer func() { rq.body = nil }() // parsed and forwarded: not kept while held
	switch {
	case b.isTerminate():
		s.clientTerminate(rq)
		return
	case s.isPause(b):
		s.pause(rq)
		return
	case b.isRestart():
		s.insertHeld(rq)
		s.core.Open(s.restartHeader()) // XEP-0206 §5; payloads ignored (B-228)
	default:
		s.insertHeld(rq)
		s.receive(b)
	}
	if explicitAck {
		s.report(rq, acked)
	}
}

// receive forwards payloads to the core in order until it closes.
func (s *session) receive(b *reqBody) {
	for _, el := range b.children {
		if closing, _ := s.closeRequested(); closing {
			return
		}
		if s.core.Receive(el) == server.StepClose {
			return
		}
	}
}

// report answers rq at once with report/time when the client's ack shows a
// response was lost more than a second ago (XEP-0124 §9.2, B-127/B-128).
func (s *session) report(rq *request, acked uint64) {
	if acked >= s.lastSent || rq.resp != nil {
		return
	}
	for _, c := range s.cache {
		if c.rid != acked+1 {
			continue
		}
		age := rq.arrived.Sub(c.sent)
		if age < time.Second {
			return
		}
		ms := min(age.Milliseconds(), 65535)
		resp := emptyResponse(
			attr{"report", strconv.FormatUint(acked+1, 10)},
			attr{"time", strconv.FormatInt(ms, 10)})
		resp.cache = true
		s.answerLocked(rq, resp)
		return
	}
}

// pause answers every open request and stretches the inactivity period to
// the requested pause, capped at maxpause (XEP-0124 §10, B-111..B-117).
func (s *session) pause(rq *request) {
	p, _ := rq.body.pause()
	d := min(time.Duration(p)*time.Second, s.m.cfg.MaxPause)
	s.flushLocked()
	for _, h := range append([]*request(nil), s.held...) {
		s.answerLocked(h, s.makeResponse(h, nil))
	}
	s.pauses = append(s.pauses, rq.rid)
	if len(s.pauses) > 4 {
		s.pauses = s.pauses[1:]
	}
	s.insertHeld(rq)
	s.answerLocked(rq, emptyResponse()) // B-112: never payloads
	s.pauseFor = d
	s.wheelAt = time.Time{}
	s.maybeIdle()
}

// clientTerminate forwards the terminate request's payloads and ends the
// session; the oldest open request gets type='terminate', the others an
// empty body (XEP-0124 §13, B-161, B-163).
func (s *session) clientTerminate(rq *request) {
	s.receive(rq.body)
	s.m.stats.termination("client")
	s.insertHeld(rq)
	open := append([]*request(nil), s.held...)
	for i, h := range open {
		if i == 0 {
			s.answerLocked(h, termResponse("", false))
		} else {
			s.answerLocked(h, emptyResponse())
		}
	}
	s.out = s.core.Drain(s.out)
	s.finishLocked(ErrTerminated)
}

// restartHeader is the stream header of a restart: the session's own 'to'
// and xml:lang whatever the request says (B-229).
func (s *session) restartHeader() stream.Header {
	return streamHeader(s.to, s.lang, s.xmppVersion, s.clientFrom)
}

// streamHeader builds the header handed to Session.Open for a creation or
// restart request: a normalised <body/> carrying 'to', xml:lang, 'from' and
// xmpp:version (XEP-0206 §3, §5).
func streamHeader(to, lang, version, from string) stream.Header {
	h := stream.Header{Name: xml.Name{Space: nsBOSH, Local: "body"}}
	add := func(space, local, v string) {
		h.Attrs = append(h.Attrs, xml.Attr{Name: xml.Name{Space: space, Local: local}, Value: v})
	}
	add("", "xmlns", nsBOSH)
	add("xmlns", "xmpp", nsXBOSH)
	add("", "to", to)
	if from != "" {
		add("", "from", from)
	}
	if lang != "" {
		add(nsXML, "lang", lang)
	}
	add(nsXBOSH, "version", version)
	return h
}
