package bosh

import (
	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/stream"
)

// Core is what the BOSH binding needs from the XMPP session core: a new
// session per BOSH session, with this binding as its transport.
type Core interface {
	NewSession(t server.Transport, info server.TransportInfo) Session
}

// Session is the part of the core's session the binding drives.
//
// Open starts the stream (the creation request, or a restart: XEP-0206 §5);
// Receive hands over one payload, in rid order; Drain appends the queued
// output without blocking; End says the transport is gone (terminate,
// inactivity, binding error, shutdown) and is idempotent.
//
// Undeliverable hands back elements the binding took with Drain but could
// not deliver to the client, because the session ended before any request
// fetched them. The core routes them as it routes stanzas for an
// unavailable resource (RFC 6121 §8.5, XEP-0206 §7). It is always called
// before End.
type Session interface {
	Open(h stream.Header) server.Step
	Receive(el *etree.Element) server.Step
	Drain(dst []*etree.Element) []*etree.Element
	End(reason error)
	Undeliverable(els []*etree.Element)
}

// CoreFunc adapts a function to Core, so the composition root can wrap the
// core's concrete NewSession.
type CoreFunc func(t server.Transport, info server.TransportInfo) Session

// NewSession calls f.
func (f CoreFunc) NewSession(t server.Transport, info server.TransportInfo) Session {
	return f(t, info)
}
