package bosh

import (
	"strings"
	"sync"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stream"
)

// fakeCore is a tiny stand-in for the session core, used until the real
// one is wired in: PLAIN-free "auth" (the text is the user name), restart,
// bind, and message routing between its sessions.
type fakeCore struct {
	mu       sync.Mutex
	sessions map[string]*fakeSession // by full JID
	ended    []string
	undeliv  []*etree.Element
	endCh    chan string
	refuse   bool // Open refuses every stream (B-181)
}

func newFakeCore() *fakeCore {
	return &fakeCore{sessions: map[string]*fakeSession{}, endCh: make(chan string, 100)}
}

type fakeSession struct {
	c      *fakeCore
	t      server.Transport
	mu     sync.Mutex
	q      []*etree.Element
	user   string
	jid    string
	authed bool
}

func (c *fakeCore) NewSession(t server.Transport, info server.TransportInfo) Session {
	return &fakeSession{c: c, t: t}
}

func (s *fakeSession) push(el *etree.Element) {
	s.mu.Lock()
	s.q = append(s.q, el)
	s.mu.Unlock()
	s.t.Notify()
}

func features(authed bool) *etree.Element {
	f := etree.NewElement("stream:features")
	f.CreateAttr("xmlns:stream", nsStream)
	if authed {
		f.CreateElement("bind").CreateAttr("xmlns", "urn:ietf:params:xml:ns:xmpp-bind")
	} else {
		m := f.CreateElement("mechanisms")
		m.CreateAttr("xmlns", nsSASL)
		m.CreateElement("mechanism").SetText("PLAIN")
	}
	return f
}

func (s *fakeSession) Open(h stream.Header) server.Step {
	to := strings.ToLower(h.Attr("", "to"))
	if s.c.refuse {
		s.t.Close(nil)
		return server.StepClose
	}
	if to != "example.com" {
		s.t.Close(&stream.Error{Condition: "host-unknown"})
		return server.StepClose
	}
	s.t.OpenStream(stream.ResponseHeader{ID: newSID(), From: to, Version: "1.0"})
	s.push(features(s.authed))
	return server.StepContinue
}

func (s *fakeSession) Receive(el *etree.Element) server.Step {
	switch {
	case el.Tag == "auth":
		s.user = el.Text()
		s.authed = true
		ok := etree.NewElement("success")
		ok.CreateAttr("xmlns", nsSASL)
		s.push(ok)
		return server.StepRestart
	case !s.authed:
		s.t.Close(&stream.Error{Condition: "not-authorized"})
		return server.StepClose
	case el.Tag == "iq" && el.FindElement("bind") != nil:
		s.jid = s.user + "@example.com/" + el.FindElement("bind/resource").Text()
		s.c.mu.Lock()
		s.c.sessions[s.jid] = s
		s.c.mu.Unlock()
		res := etree.NewElement("iq")
		res.CreateAttr("type", "result")
		res.CreateAttr("id", el.SelectAttrValue("id", ""))
		b := res.CreateElement("bind")
		b.CreateAttr("xmlns", "urn:ietf:params:xml:ns:xmpp-bind")
		b.CreateElement("jid").SetText(s.jid)
		s.push(res)
	case el.Tag == "message":
		s.c.mu.Lock()
		dst := s.c.sessions[el.SelectAttrValue("to", "")]
		s.c.mu.Unlock()
		if dst != nil {
			m := el.Copy()
			m.CreateAttr("from", s.jid)
			dst.push(m)
		}
	case el.Tag == "boom":
		panic("boom")
	case el.Tag == "kick":
		s.t.Close(&stream.Error{Condition: "conflict"})
		return server.StepClose
	}
	return server.StepContinue
}

func (s *fakeSession) Drain(dst []*etree.Element) []*etree.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.q...)
	s.q = nil
	return dst
}

func (s *fakeSession) End(reason error) {
	s.c.mu.Lock()
	if s.jid != "" {
		delete(s.c.sessions, s.jid)
	}
	s.c.ended = append(s.c.ended, s.jid)
	s.c.mu.Unlock()
	select {
	case s.c.endCh <- s.jid:
	default:
	}
}

func (s *fakeSession) Undeliverable(els []*etree.Element) {
	s.c.mu.Lock()
	s.c.undeliv = append(s.c.undeliv, els...)
	s.c.mu.Unlock()
}
