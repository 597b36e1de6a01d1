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
// Connections (adopt.go): over plain HTTP/1.1 the handler takes a
// connection over from net/http after its first answered POST or when a
// request is to be held. A held request then waits as a struct, no
// goroutine: its connection is watched for a hang-up by one epoll
// instance (itself waiting in the runtime's poller), its wait deadline is
// kept by the shared wheel, and its answer is written by the goroutine
// that produced it once the session lock is released. Later requests on
// the connection are read by a strict pooled HTTP/1.1 reader (h1read.go);
// a request for another path sends the connection back to net/http
// (Handler.Returned). HTTP/2, HTTPS and Connection: close requests stay
// on net/http, each held request waiting in its handler's goroutine.
//
// Timers: every held request's wait and every idle session's inactivity
// is an entry in one shared deadline heap (the wheel), not a timer.
//
// Lock order: session.mu → hconn.mu → poller.mu, session.mu →
// session.nmu → wheel.mu; Manager.mu is taken alone. The core is called
// with session.mu held, so every Transport method the core calls back is
// lock-free or takes only nmu; Notify hands the flush to a pooled worker
// (workers.go).
//
// Output drained from the core but never delivered (the client stopped
// polling) goes back to the core through Session.Undeliverable before
// Session.End, so that messages reach offline storage and IQs bounce.
package bosh
