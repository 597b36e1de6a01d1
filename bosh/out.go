package bosh

import (
	"bytes"
	"strconv"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/stream"
)

// makeResponse builds a cacheable response to rq carrying els, with 'ack'
// in acknowledging sessions when it differs from rq's rid (XEP-0124 §9.1,
// B-119..B-123).
func (s *session) makeResponse(rq *request, els []*etree.Element) *response {
	var attrs []attr
	if s.acks && s.last != rq.rid {
		attrs = append(attrs, attr{"ack", strconv.FormatUint(s.last, 10)})
	}
	r := newResponse(attrs, els)
	r.cache = true
	return r
}

// flushLocked drains the core's output into the oldest held requests,
// answers requests beyond 'hold', and handles a close by the core
// (XEP-0124 §8). The caller holds mu.
func (s *session) flushLocked() {
	if s.final != nil {
		return
	}
	s.out = s.core.Drain(s.out)
	if closing, err := s.closeRequested(); closing {
		s.serverClose(err)
		return
	}
	for len(s.out) > 0 {
		rq := s.oldestLive()
		if rq == nil {
			break
		}
		s.answerLocked(rq, s.makeResponse(rq, s.takeBatch()))
	}
	for s.liveHeld() > s.hold {
		rq := s.oldestLive()
		s.answerLocked(rq, s.makeResponse(rq, nil))
	}
}

// oldestLive returns the oldest held request whose client is still there.
func (s *session) oldestLive() *request {
	for _, rq := range s.held {
		if !rq.gone {
			return rq
		}
	}
	return nil
}

// isStanza reports a jabber:client message, presence or iq.
func isStanza(el *etree.Element) bool {
	if el.Space != "" || el.SelectAttr("xmlns") != nil {
		return false
	}
	return el.Tag == "message" || el.Tag == "presence" || el.Tag == "iq"
}

// takeBatch removes the next response's worth of output: one non-stanza
// element (features, SASL) on its own, or consecutive stanzas up to
// MaxResponse bytes (B-087, B-204).
func (s *session) takeBatch() []*etree.Element {
	if !isStanza(s.out[0]) {
		el := s.out[0]
		s.out = s.out[1:]
		return []*etree.Element{el}
	}
	var buf bytes.Buffer
	n := 0
	for n < len(s.out) && isStanza(s.out[n]) && (n == 0 || buf.Len() < s.m.cfg.MaxResponse) {
		serialize(&buf, s.out[n])
		n++
	}
	batch := append([]*etree.Element(nil), s.out[:n]...)
	s.out = s.out[n:]
	return batch
}

// serverClose builds the terminal response of a close by the core: queued
// stanzas, then the <stream:error/> under remote-stream-error (XEP-0206 §6,
// B-169, B-232). It goes to the oldest held request, or waits for the next
// request when none is held.
func (s *session) serverClose(err *stream.Error) {
	els := s.out
	s.out = nil
	attrs := []attr{{"type", "terminate"}}
	cond := "closed"
	if err != nil {
		cond = condRemoteStreamError
		attrs = append(attrs, attr{"condition", condRemoteStreamError})
		els = append(els, err.Element())
	}
	s.m.stats.termination(cond)
	final := newResponse(attrs, els)
	final.final = true
	if err != nil {
		// Only the stanzas are the client's; the error is ours.
		final.els = els[:len(els)-1]
	}
	rq := s.oldestLive()
	if rq == nil {
		s.final = final
		s.maybeIdle()
		return
	}
	s.answerLocked(rq, final)
	s.finishLocked(nil)
}
