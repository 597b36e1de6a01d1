// Package bosh is Parley's native BOSH endpoint (XEP-0124, XEP-0206): an
// http.Handler whose sessions are transports of the same session core the
// TCP listener uses, with no proxy hop.
//
// A request is read whole (capped by Config.MaxBody before and after
// Content-Encoding), parsed by the stream decoder with the httpbind
// wrapper, and handed to its session. The session applies the rid window
// (XEP-0124 §14): rids up to 'requests' ahead are processed strictly in
// order, later ones wait for the gap to fill; repeats get the cached bytes
// of their response; anything else ends the session with item-not-found.
// Payloads go to Session.Receive as soon as their turn comes; the
// response is held until output arrives (Transport.Notify), 'wait' passes,
// or a newer request needs the slot ('hold').
//
// Timers: a held request waits in its own net/http goroutine with one
// timer; idle sessions cost one entry in a shared deadline heap (the
// inactivity wheel) and no goroutine.
//
// Lock order: session.mu → session.nmu → wheel.mu; Manager.mu is taken
// alone. The core is called with session.mu held, so every Transport
// method the core calls back is lock-free or takes only nmu; Notify and
// Close hand the work to a short-lived goroutine.
//
// Output drained from the core but never delivered (the client stopped
// polling) goes back to the core through Session.Undeliverable before
// Session.End, so that messages reach offline storage and IQs bounce.
package bosh
