package bosh

import (
	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
)

// ServerCore adapts the session core to Core: each BOSH session drives a
// *server.Session with this binding as its transport.
func ServerCore(c *server.Core) Core {
	return CoreFunc(func(t server.Transport, info server.TransportInfo) Session {
		return &coreSession{Session: c.NewSession(t, info), core: c}
	})
}

// coreSession adds Undeliverable to *server.Session.
type coreSession struct {
	*server.Session
	core *server.Core
}

// undeliverer is implemented by a core session that takes back output the
// transport drained but could not deliver.
type undeliverer interface{ Undeliverable(els []*etree.Element) }

// Undeliverable hands back drained but unsent output. Without direct
// support in the core, the elements are queued again so that End routes
// them as undeliverable (RFC 6121 §8.5, XEP-0206 §7); if the session no
// longer accepts them they are bounced.
func (s *coreSession) Undeliverable(els []*etree.Element) {
	if u, ok := any(s.Session).(undeliverer); ok {
		u.Undeliverable(els)
		return
	}
	var rest []*etree.Element
	for _, el := range els {
		if !s.Session.Deliver(el) {
			rest = append(rest, el)
		}
	}
	if len(rest) > 0 {
		s.core.BounceUndeliverable(s.Session, rest)
	}
}
