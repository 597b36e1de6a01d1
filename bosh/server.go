package bosh

import (
	"github.com/parley-xmpp/parley/server"
)

// ServerCore adapts the session core to Core: each BOSH session drives a
// *server.Session with this binding as its transport.
func ServerCore(c *server.Core) Core {
	return CoreFunc(func(t server.Transport, info server.TransportInfo) Session {
		return &coreSession{Session: c.NewSession(t, info), core: c}
	})
}

// coreSession is the core's session as the binding drives it.
type coreSession struct {
	*server.Session
	core *server.Core
}
