package server

import (
	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/sasl"
)

const saslNS = sasl.NS

// Feature is one stream feature (RFC 6120 §4.3.2) described as data: the
// session states it needs and the states it forbids decide whether it is
// offered, instead of conditionals spread over the code. BOSH reuses the
// same list; STARTTLS drops out because BOSH cannot start TLS.
type Feature struct {
	Name    string // for logs and tests
	Needs   State  // all of these flags must be set
	Forbids State  // none of these flags may be set
	// Element returns the child of <stream:features/> to offer, or nil
	// when the feature does not apply to s (for example STARTTLS on a
	// transport that cannot start TLS).
	Element func(s *Session) *etree.Element
}

// defaultFeatures lists the core's features in the order they are offered.
func defaultFeatures() []Feature {
	return []Feature{
		{Name: "starttls", Forbids: Secure | Authenticated, Element: starttlsFeature},
		{Name: "sasl", Forbids: Authenticated, Element: saslFeature},
		{Name: "bind", Needs: Authenticated, Forbids: Bound, Element: bindFeature},
		{Name: "session", Needs: Authenticated, Forbids: Bound, Element: sessionFeature},
	}
}

// offer returns the feature elements for the session's current state.
func (s *Session) offer() []*etree.Element {
	st := s.State()
	var out []*etree.Element
	for _, f := range s.core.featureList() {
		if st&f.Needs != f.Needs || st&f.Forbids != 0 {
			continue
		}
		if el := f.Element(s); el != nil {
			out = append(out, el)
		}
	}
	return out
}

// starttlsFeature is RFC 6120 §5.4.1, <required/> with c2s.require_tls.
func starttlsFeature(s *Session) *etree.Element {
	if !s.info.CanStartTLS {
		return nil
	}
	if _, ok := s.t.(TLSStarter); !ok {
		return nil
	}
	el := etree.NewElement("starttls")
	el.CreateAttr("xmlns", NSTLS)
	if s.core.opts.RequireTLS {
		el.CreateElement("required")
	}
	return el
}

// saslFeature is RFC 6120 §6.4.1. With require_tls nothing but STARTTLS
// is offered before TLS (§5.3.1).
func saslFeature(s *Session) *etree.Element {
	if s.mustTLS() {
		return nil
	}
	el := etree.NewElement("mechanisms")
	el.CreateAttr("xmlns", saslNS)
	for _, m := range s.mechanisms() {
		el.CreateElement("mechanism").SetText(m)
	}
	return el
}

// bindFeature is RFC 6120 §7.4.
func bindFeature(*Session) *etree.Element {
	el := etree.NewElement("bind")
	el.CreateAttr("xmlns", NSBind)
	return el
}

// sessionFeature is the RFC 3921 §3 session establishment, marked
// optional (draft-cridland-xmpp-session-01) for old clients.
func sessionFeature(*Session) *etree.Element {
	el := etree.NewElement("session")
	el.CreateAttr("xmlns", NSSession)
	el.CreateElement("optional")
	return el
}
