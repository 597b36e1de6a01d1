package bosh

import (
	"fmt"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
)

// post handles one BOSH request (XEP-0124 §7, §8).
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	h.inflight.Add(1)
	defer h.inflight.Add(-1)
	setDeadlines(w, h.cfg.MaxWait, h.cfg.WriteMargin)
	raw, rerr := h.readBody(w, r)
	if rerr == errTooLarge {
		h.oversize(w, r, raw)
		return
	}
	if rerr != nil {
		_ = h.write(w, r, termResponse(condBadRequest, false), "")
		return
	}
	b, perr := parseBody(raw)
	if b == nil {
		// No usable <body/> start tag: no session can be named (B-006,
		// B-011, B-016).
		h.stats.termination(condBadRequest)
		_ = h.write(w, r, termResponse(condBadRequest, false), "")
		return
	}
	rid, ridOK := parseRID(b.attr("rid"))
	if b.attr("sid") == "" {
		h.creation(w, r, b, rid, ridOK && perr == nil)
		return
	}
	h.sessionRequest(w, r, b, rid, ridOK && perr == nil)
}

// creation answers a session creation request (XEP-0124 §7.1).
func (h *Handler) creation(w http.ResponseWriter, r *http.Request, b *reqBody, rid uint64, valid bool) {
	if !valid {
		legacy := b.attr("ver") == ""
		_ = h.write(w, r, termResponse(condBadRequest, legacy), "") // B-068
		return
	}
	secure, ip := h.clientInfo(r)
	// No TLS state: a BOSH session spans many HTTP connections, so the
	// channel bindings of the creation request's connection would not bind
	// the later ones (no SCRAM-*-PLUS over BOSH); Secure still says HTTPS.
	info := server.TransportInfo{Kind: "bosh", RemoteAddr: ip, Secure: secure}
	resp := h.create(b, rid, info, secure, ip)
	ct := ""
	if !resp.final && resp.status == http.StatusOK {
		ct = b.attr("content")
	}
	_ = h.write(w, r, resp, ct)
}

// sessionRequest answers a request naming a session; valid is false when
// its rid or payloads were unusable.
func (h *Handler) sessionRequest(w http.ResponseWriter, r *http.Request, b *reqBody, rid uint64, valid bool) {
	sid := b.attr("sid")
	s := h.lookup(sid)
	if s == nil {
		_ = h.write(w, r, termResponse(condItemNotFound, h.buried(sid)), "") // B-020, B-188
		return
	}
	if secure, _ := h.clientInfo(r); s.secure && !secure {
		// XEP-0124 §19.1 (B-241, B-242): refuse, without ending the session.
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !valid {
		s.fail(condBadRequest) // B-011, B-014, B-179
		_ = h.write(w, r, termResponse(condBadRequest, s.legacy), s.contentType)
		return
	}
	h.serve(w, r, s, b, rid)
}

// serve runs one request of session s and writes its response.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, s *session, b *reqBody, rid uint64) {
	rq := &request{
		body:    b,
		rid:     rid,
		arrived: time.Now(),
		done:    make(chan struct{}),
	}
	_, isPause := b.pause()
	rq.empty = len(b.children) == 0 && !b.isTerminate() && !isPause && !b.isRestart()
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error().Str("panic", fmt.Sprint(v)).Msg("bosh request failed")
				s.panicked(rq) // B-177
			}
		}()
		s.accept(rq)
	}()
	timer := time.NewTimer(time.Until(rq.deadline))
	defer timer.Stop()
	select {
	case <-rq.done:
	case <-timer.C:
		s.expire(rq)
	case <-r.Context().Done():
		s.abandon(rq)
		return
	}
	<-rq.done
	if err := h.write(w, r, rq.resp, s.contentType); err != nil {
		s.writeFailed(rq)
	}
}

// expire answers rq at the end of its wait: an empty body when held
// (XEP-0124 §8, B-080), item-not-found when its gap never filled (B-067).
func (s *session) expire(rq *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rq.resp != nil {
		return
	}
	if s.pending[rq.rid] == rq {
		delete(s.pending, rq.rid)
		s.terminateLocked(condItemNotFound, rq)
		return
	}
	if s.ended {
		s.answerEnded(rq)
		return
	}
	s.answerLocked(rq, s.makeResponse(rq, nil))
}

// abandon notes that rq's client went away (XEP-0124 §8, B-090): an
// unanswered request stops counting as held; an answered but unwritten
// one gives its payloads back.
func (s *session) abandon(rq *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rq.gone = true
	if s.pending[rq.rid] == rq {
		delete(s.pending, rq.rid)
		return
	}
	if rq.resp == nil {
		s.removeHeld(rq)
		s.markLost(rq.rid)
		s.maybeIdle()
		return
	}
	s.giveBack(rq)
}

// writeFailed gives back the payloads of a response that did not reach
// the client.
func (s *session) writeFailed(rq *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.giveBack(rq)
}

// giveBack requeues the payloads of rq's undelivered response and forgets
// its cached copy, so that a resend or the next request carries them once
// (B-090). The caller holds mu.
func (s *session) giveBack(rq *request) {
	resp := rq.resp
	if resp == nil || resp.final || !resp.cache || rq.cached || s.ended {
		return
	}
	for i, c := range s.cache {
		if c.rid == rq.rid && c.resp == resp {
			s.cache = append(s.cache[:i], s.cache[i+1:]...)
			s.cacheBytes -= len(resp.body)
			break
		}
	}
	s.markLost(rq.rid)
	if len(resp.els) > 0 {
		s.out = append(append([]*etree.Element(nil), resp.els...), s.out...)
		s.flushLocked()
	}
}

// fail ends the session with a binding error found outside the rid flow.
func (s *session) fail(cond string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.terminateLocked(cond, nil)
}

// panicked ends the session after an internal failure (B-177).
func (s *session) panicked(rq *request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rq.resp == nil {
		rq.resp = termResponse(condInternalError, false)
		close(rq.done)
	}
	s.terminateLocked(condInternalError, nil)
}

// oversize answers a body over MaxBody: policy-violation for a session it
// names, HTTP 413 otherwise (B-250).
func (h *Handler) oversize(w http.ResponseWriter, r *http.Request, prefix []byte) {
	d := newBodyDecoder(prefix, len(prefix))
	if hd, err := d.Header(); err == nil {
		if s := h.lookup(hd.Attr("", "sid")); s != nil {
			s.fail(condPolicyViolation)
			_ = h.write(w, r, termResponse(condPolicyViolation, s.legacy), s.contentType)
			return
		}
	}
	w.Header().Set("Connection", "close")
	http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
}

// markLost records that rid was answered but its response never left.
func (s *session) markLost(rid uint64) {
	if s.lost == nil {
		s.lost = make(map[uint64]bool)
	}
	s.lost[rid] = true
}
