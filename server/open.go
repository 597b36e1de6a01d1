package server

import (
	"context"
	"strings"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
)

// Namespaces the core handles.
const (
	NSClient  = "jabber:client"
	NSTLS     = "urn:ietf:params:xml:ns:xmpp-tls"     // RFC 6120 §5
	NSBind    = "urn:ietf:params:xml:ns:xmpp-bind"    // RFC 6120 §7
	NSSession = "urn:ietf:params:xml:ns:xmpp-session" // RFC 3921 §3
)

// Open handles the client's stream header: the initial one, or the one
// after STARTTLS or SASL. For BOSH, the transport passes the session
// creation or restart <body/> as h. On success the transport is asked to
// open the response stream and the stream features are queued. Header
// errors are stream errors (RFC 6120 §4.9.1.1: the response header is
// sent first).
func (s *Session) Open(h stream.Header) (step Step) {
	defer s.recoverSession(&step)
	if s.isClosing() {
		return StepClose
	}
	domain, serr := s.checkHeader(h)
	resp := stream.ResponseHeader{ID: randomID(), From: domain, Version: "1.0", Lang: "en"}
	if serr != nil {
		if resp.From == "" && len(s.core.opts.Domains) > 0 {
			resp.From = s.core.opts.Domains[0]
		}
		s.t.OpenStream(resp)
		s.Close(serr)
		return StepClose
	}
	if l := h.Lang(); l != "" {
		s.mu.Lock() // Lang reads it from other goroutines
		s.lang = l
		s.mu.Unlock()
	}
	s.domain = domain
	s.opened = true
	if from := h.Attr("", "from"); from != "" {
		resp.To = from
	}
	s.t.OpenStream(resp)
	s.send(stream.Features(s.offer()...))
	return StepContinue
}

// checkHeader validates a stream header (RFC 6120 §4.7, §4.8) and returns
// the normalised 'to' domain.
func (s *Session) checkHeader(h stream.Header) (string, *stream.Error) {
	bosh := h.Name.Space == stream.NSBOSH
	if !bosh && (h.Name.Space != stream.NSStream || h.Name.Local != "stream") {
		return "", stream.NewError(stream.InvalidNamespace, "") // §4.9.3.10
	}
	if d := h.Attr("", "xmlns"); d != "" && d != NSClient && !(bosh && d == stream.NSBOSH) {
		return "", stream.NewError(stream.InvalidNamespace, "") // §4.8.2
	}
	to := h.Attr("", "to")
	if to == "" {
		return "", stream.NewError(stream.HostUnknown, "no 'to' address") // §4.7.2
	}
	domain, err := jid.NormalizeDomain(to)
	if err != nil || !s.core.Serves(domain) {
		return "", stream.NewError(stream.HostUnknown, "") // §4.9.3.6
	}
	domain = s.core.domains[domain] // the configured string, shared by all sessions
	if s.domain != "" && domain != s.domain {
		return domain, stream.NewError(stream.HostUnknown, "domain changed on restart")
	}
	v := h.Attr("", "version")
	if bosh {
		v = h.Attr(stream.NSXBOSH, "version")
	}
	if !bosh || v != "" {
		if major, _, _ := strings.Cut(v, "."); major == "" || major == "0" {
			return domain, stream.NewError(stream.UnsupportedVersion, "XMPP 1.0 is required") // §4.7.5
		}
	}
	return domain, nil
}

// Receive handles one top-level element from the client, in order.
func (s *Session) Receive(el *etree.Element) (step Step) {
	defer s.recoverSession(&step)
	if s.isClosing() {
		return StepClose
	}
	if !s.opened {
		s.Close(stream.NewError(stream.NotAuthorized, "stream not open"))
		return StepClose
	}
	switch ns(el) {
	case NSClient:
		if isStanza(el) {
			return s.receiveStanza(el)
		}
	case NSTLS:
		if el.Tag == "starttls" {
			return s.startTLS()
		}
	case saslNS:
		return s.receiveSASL(el)
	case stream.NSStream:
		if el.Tag == "error" {
			s.logDebug().Msg("client sent a stream error")
			s.Close(nil)
			return StepClose
		}
	}
	s.Close(stream.NewError(stream.UnsupportedStanzaType, "")) // §4.9.3.24
	return StepClose
}

// startTLS runs STARTTLS (RFC 6120 §5.4.2).
func (s *Session) startTLS() Step {
	starter, ok := s.t.(TLSStarter)
	if !ok || !s.info.CanStartTLS || s.State()&(Secure|Authenticated) != 0 {
		s.send(tlsElement("failure"))
		s.Close(nil) // §5.4.2.2
		return StepClose
	}
	s.send(tlsElement("proceed"))
	cs, err := starter.StartTLS()
	if err != nil {
		s.logDebug().Err(err).Msg("TLS handshake failed")
		s.Close(nil)
		return StepClose
	}
	s.info.TLS = cs
	s.info.CanStartTLS = false
	s.setState(Secure)
	s.opened = false
	return StepStartTLS
}

func tlsElement(tag string) *etree.Element {
	el := etree.NewElement(tag)
	el.CreateAttr("xmlns", NSTLS)
	return el
}

// receiveStanza handles a message, presence or iq.
func (s *Session) receiveStanza(el *etree.Element) Step {
	st := s.State()
	if st&Authenticated == 0 {
		s.Close(stream.NewError(stream.NotAuthorized, "")) // RFC 6120 §6.1
		return StepClose
	}
	if st&Bound == 0 {
		if el.Tag == "iq" {
			if p := firstChild(el); p != nil && ns(p) == NSBind && p.Tag == "bind" {
				return s.bind(el)
			}
		}
		s.Close(stream.NewError(stream.NotAuthorized, "resource not bound")) // RFC 6120 §7.1
		return StepClose
	}
	stz, err := stanza.Parse(el)
	if err != nil {
		s.replyParseError(el, err)
		return StepContinue
	}
	if stz.Kind == stanza.KindIQ && stz.To.IsZero() {
		if p := stz.Payload(); p != nil && p.Tag == "session" && ns(p) == NSSession {
			s.Deliver(stanza.ResultIQ(stz, nil).El) // RFC 3921 §3: a no-op now
			return StepContinue
		}
	}
	// The handlers' storage calls are not tied to the session: a
	// cancellable context per session would cost memory, and a goroutine
	// per SQLite statement or transaction that watches it.
	if serr := s.core.router.Route(context.Background(), s, stz); serr != nil {
		s.Close(serr)
		return StepClose
	}
	return StepContinue
}

// replyParseError answers a stanza whose header did not parse with a
// stanza error (jid-malformed, bad-request), unless it is itself an error
// or an IQ result.
func (s *Session) replyParseError(el *etree.Element, err error) {
	typ := el.SelectAttrValue("type", "")
	if typ == "error" || (el.Tag == "iq" && typ == "result") {
		return
	}
	serr, ok := err.(*stanza.Error)
	if !ok {
		serr = stanza.NewError(stanza.BadRequest, "")
	}
	reply := el.Copy()
	for _, a := range []string{"to", "from"} {
		reply.RemoveAttr(a)
	}
	reply.CreateAttr("type", "error")
	reply.CreateAttr("to", s.JID().String())
	reply.AddChild(serr.Element())
	s.Deliver(reply)
}

// firstChild returns the first child element of el, nil if none.
func firstChild(el *etree.Element) *etree.Element {
	for _, c := range el.ChildElements() {
		return c
	}
	return nil
}
