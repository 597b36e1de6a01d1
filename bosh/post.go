package bosh

import (
	"fmt"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
)

// post handles one BOSH request (XEP-0124 §7, §8); hc is the adopted
// connection it came on, nil under net/http. It reports whether the
// connection is gone from the caller: the request was parked on it (it
// then belongs to the session, which counts the request done once
// answered), or it was taken over and answered here.
func (h *Handler) post(w http.ResponseWriter, r *http.Request, hc *hconn) (gone bool) {
	h.inflight.Add(1)
	defer func() {
		if !gone {
			h.inflight.Add(-1)
		}
	}()
	if hc == nil {
		setDeadlines(w, h.cfg.MaxWait, h.cfg.WriteMargin)
	}
	raw, rerr := h.readBody(w, r)
	if rerr == errTooLarge {
		h.oversize(w, r, raw)
		return false
	}
	if rerr != nil {
		_ = h.write(w, r, termResponse(condBadRequest, false), "")
		return false
	}
	b, perr := parseBody(raw)
	putBody(raw)
	if b == nil {
		// No usable <body/> start tag: no session can be named (B-006,
		// B-011, B-016).
		h.stats.termination(condBadRequest)
		_ = h.write(w, r, termResponse(condBadRequest, false), "")
		return false
	}
	rid, ridOK := parseRID(b.attr("rid"))
	if b.attr("sid") == "" {
		h.creation(w, r, b, rid, ridOK && perr == nil)
		return false
	}
	return h.sessionRequest(w, r, b, rid, ridOK && perr == nil, hc)
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
func (h *Handler) sessionRequest(w http.ResponseWriter, r *http.Request, b *reqBody, rid uint64, valid bool, hc *hconn) bool {
	sid := b.attr("sid")
	s := h.lookup(sid)
	if s == nil {
		_ = h.write(w, r, termResponse(condItemNotFound, h.buried(sid)), "") // B-020, B-188
		return false
	}
	if secure, _ := h.clientInfo(r); s.secure && !secure {
		// XEP-0124 §19.1 (B-241, B-242): refuse, without ending the session.
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	if !valid {
		s.fail(condBadRequest) // B-011, B-014, B-179
		_ = h.write(w, r, termResponse(condBadRequest, s.legacy), s.contentType)
		return false
	}
	return h.serve(w, r, s, b, rid, hc)
}

// serve runs one request of session s and writes its response, or parks
// it on its adopted connection (taking the connection over from net/http
// when it can) until the session answers it.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, s *session, b *reqBody, rid uint64, hc *hconn) bool {
	rq := &request{
		body:    b,
		rid:     rid,
		arrived: time.Now(),
		done:    make(chan struct{}),
		sess:    s,
	}
	if h.cfg.Compress {
		rq.acceptEnc = r.Header.Get("Accept-Encoding")
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
	taken := false
	if hc == nil && !s.answered(rq) {
		hc, taken = h.adopt(w, r), true
	}
	if hc != nil {
		return h.parkOrAnswer(s, rq, hc, taken)
	}
	select {
	case <-rq.done: // answered, or expired by the wheel
	case <-r.Context().Done():
		s.abandon(rq)
		return false
	}
	if err := h.write(w, r, rq.resp, s.contentType); err != nil {
		s.writeFailed(rq)
	} else {
		s.written(rq)
	}
	return false
}

// answered reports whether rq has its response.
func (s *session) answered(rq *request) bool {
	s.mu.Lock()
	defer s.unlock()
	return rq.resp != nil
}

// parkOrAnswer parks rq on hc, or writes its answer there when it came
// already. taken says hc was just taken from net/http, whose handler then
// returns: the answer is then written and the connection served on here.
// It reports whether the caller lost the connection (parked or taken).
func (h *Handler) parkOrAnswer(s *session, rq *request, hc *hconn, taken bool) bool {
	s.mu.Lock()
	parked := s.park(rq, hc)
	s.unlock()
	if parked {
		return true
	}
	hc.w.resetBody()
	_ = h.writeResp(&hc.w, rq.acceptEnc, rq.resp, s.contentType)
	if !taken {
		hc.cur = rq // serveOne writes it
		return false
	}
	// The connection is no longer net/http's: say so (true) and count the
	// request done here, as deliver does for a parked one.
	defer h.inflight.Add(-1)
	if err := hc.flush(h.cfg.WriteMargin); err != nil {
		s.writeFailed(rq)
		hc.close()
		return true
	}
	s.written(rq)
	hc.next()
	return true
}

// expire answers rq at the end of its wait: an empty body when held
// (XEP-0124 §8, B-080), item-not-found when its gap never filled (B-067).
func (s *session) expire(rq *request) {
	s.mu.Lock()
	defer s.unlock()
	s.expireLocked(rq)
}

// expireLocked is expire with s.mu held.
func (s *session) expireLocked(rq *request) {
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
	defer s.unlock()
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
	defer s.unlock()
	s.giveBack(rq)
}

// written notes that rq's response reached the client's connection: its
// payloads need not be kept for a give-back any more, only its bytes for
// a repeated rid (XEP-0124 §14.3).
func (s *session) written(rq *request) {
	if rq.resp == nil || len(rq.resp.els) == 0 || rq.resp.final {
		return
	}
	s.mu.Lock()
	rq.resp.els = nil
	s.unlock()
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
	defer s.unlock()
	s.terminateLocked(cond, nil)
}

// panicked ends the session after an internal failure (B-177).
func (s *session) panicked(rq *request) {
	s.mu.Lock()
	defer s.unlock()
	if rq.resp == nil {
		rq.resp = termResponse(condInternalError, false)
		s.complete(rq)
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
