package server

import (
	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
)

// bind handles the resource binding IQ (RFC 6120 §7).
func (s *Session) bind(el *etree.Element) Step {
	st, err := stanza.Parse(el)
	if err != nil {
		s.replyParseError(el, err)
		return StepContinue
	}
	if st.Type != "set" {
		s.Deliver(stanza.ErrorReply(st, stanza.NewError(stanza.BadRequest, "")).El)
		return StepContinue
	}
	bare := s.JID()
	want := ""
	if r := st.Payload().SelectElement("resource"); r != nil {
		want = r.Text()
	}
	full, serr := s.chooseResource(bare, want)
	if serr != nil {
		s.Deliver(stanza.ErrorReply(st, serr).El)
		return StepContinue
	}
	replace := s.core.opts.ConflictPolicy != ConflictReject
	s.setJID(full) // before bind so that a racing Kick finds the session
	old, ok := s.core.registry.bind(s, full, replace)
	if !ok {
		s.setJID(bare)
		s.Deliver(stanza.ErrorReply(st, stanza.NewError(stanza.Conflict, "")).El) // §7.7.2.2
		return StepContinue
	}
	if old != nil {
		old.Close(stream.NewError(stream.Conflict, "replaced by a new session")) // §7.7.2.2
	}
	s.setState(Bound)
	s.logInfo().Msg("resource bound")
	res := etree.NewElement("bind")
	res.CreateAttr("xmlns", NSBind)
	res.CreateElement("jid").SetText(full.String())
	s.Deliver(stanza.ResultIQ(st, res).El)
	if s.isClosing() { // kicked between authentication and binding
		s.core.registry.remove(s)
		return StepClose
	}
	s.core.mu.Lock()
	hooks := s.core.onBound
	s.core.mu.Unlock()
	for _, h := range hooks {
		h(s)
	}
	return StepContinue
}

// chooseResource returns the full JID to bind: the client's resource
// (normalised, RFC 6120 §7.7) or a random one the server generates
// (§7.6).
func (s *Session) chooseResource(bare jid.JID, want string) (jid.JID, *stanza.Error) {
	if want == "" {
		for {
			full, err := bare.WithResource(randomID()[:12])
			if err != nil {
				return jid.JID{}, stanza.NewError(stanza.InternalServerError, "")
			}
			if s.core.registry.Lookup(full) == nil {
				return full, nil
			}
		}
	}
	full, err := bare.WithResource(want)
	if err != nil {
		return jid.JID{}, stanza.NewError(stanza.BadRequest, "invalid resource") // §7.7.2.1
	}
	return full, nil
}
