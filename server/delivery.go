package server

import (
	"context"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
)

// ErrSlowConsumer closes a session whose out-queue overflowed: the client
// does not read fast enough, and memory stays bounded.
var ErrSlowConsumer = &stream.Error{Condition: stream.ResourceConstraint, Text: "slow consumer"}

// DefaultMessage is the default delivery of a message to a local user
// (RFC 6120 §10.5.3, §10.5.4; RFC 6121 §8.5): to a full JID with a
// session, that session; otherwise by the bare-JID rules: chat and normal
// to the available resources of highest non-negative priority, headline
// to all of them, groupchat refused; an existing user with no available
// resource goes to offline storage (SetOffline) or gets
// <service-unavailable/>.
func (r *Router) DefaultMessage(ctx context.Context, from *Session, st *stanza.Stanza) {
	if !st.To.IsBare() {
		if s := r.core.registry.Lookup(st.To); s != nil {
			r.deliverTo(s, st)
			return
		}
	}
	if st.Type == "error" {
		return
	}
	if !r.UserExists(ctx, st.To.Bare()) {
		r.bounce(ctx, from, st, stanza.ServiceUnavailable) // RFC 6121 §8.5.1
		return
	}
	if st.Type == "groupchat" {
		r.bounce(ctx, from, st, stanza.ServiceUnavailable) // RFC 6121 §8.5.2.1.1
		return
	}
	targets := r.Available(st.To, st.Type != "headline")
	for _, s := range targets {
		r.deliverTo(s, st)
	}
	if len(targets) > 0 || st.Type == "headline" {
		return
	}
	r.mu.RLock()
	off := r.offline
	r.mu.RUnlock()
	if off != nil && off(ctx, st) {
		return
	}
	r.bounce(ctx, from, st, stanza.ServiceUnavailable) // RFC 6121 §8.5.2.2
}

// Available returns the available sessions of the bare JID user with a
// non-negative priority (RFC 6121 §8.5.2.1); with highest, only those
// sharing the highest priority.
func (r *Router) Available(user jid.JID, highest bool) []*Session {
	var out []*Session
	best := -129
	for _, s := range r.core.registry.Sessions(user) {
		avail, prio := s.Presence()
		if !avail || prio < 0 {
			continue
		}
		switch {
		case !highest || prio == best:
			out = append(out, s)
		case prio > best:
			out = append(out[:0], s)
		}
		if prio > best {
			best = prio
		}
	}
	return out
}

// DefaultPresence is the default handling of presence until the presence
// module replaces it: directed presence to a full JID goes to that
// session, to a bare JID to its available resources; broadcast presence
// (no 'to') and presence to unknown users are dropped (RFC 6121 §4, §8.5).
func (r *Router) DefaultPresence(ctx context.Context, from *Session, st *stanza.Stanza) {
	if st.To.IsZero() {
		return
	}
	if !st.To.IsBare() {
		if s := r.core.registry.Lookup(st.To); s != nil {
			r.deliverTo(s, st)
		}
		return
	}
	for _, s := range r.Available(st.To, false) {
		r.deliverTo(s, st)
	}
}

// undeliverable hands stanzas that could not be written to the hook.
func (c *Core) undeliverable(s *Session, els []*etree.Element) {
	c.mu.Lock()
	fn := c.undeliv
	c.mu.Unlock()
	fn(s, els)
}

// BounceUndeliverable is the default undeliverable hook: an IQ get or set
// gets <service-unavailable/> back to its sender (RFC 6120 §10.5.4, so no
// requester waits forever); messages and the rest are dropped until
// offline storage takes them.
func (c *Core) BounceUndeliverable(s *Session, els []*etree.Element) {
	c.bounceUndeliverable(s, els)
}

func (c *Core) bounceUndeliverable(_ *Session, els []*etree.Element) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, el := range els {
		st, err := stanza.Parse(el)
		if err != nil {
			continue
		}
		if st.Kind == stanza.KindIQ && (st.Type == "get" || st.Type == "set") && !st.From.IsZero() {
			c.router.Deliver(ctx, stanza.ErrorReply(st, stanza.NewError(stanza.ServiceUnavailable, "")))
		}
	}
}

func errBadRequest() error   { return stanza.NewError(stanza.BadRequest, "") }
func errItemNotFound() error { return stanza.NewError(stanza.ItemNotFound, "") }

// Undeliverable takes back stanzas the transport drained from this session
// but could not hand to the client (a BOSH response whose client stopped
// polling, XEP-0206 §7). They go where stanzas queued for an ending session
// go: the undeliverable hook (offline storage for messages, an error to the
// sender for IQ get/set; RFC 6121 §8.5). The transport calls it before End.
func (s *Session) Undeliverable(els []*etree.Element) {
	if len(els) == 0 {
		return
	}
	s.core.undeliverable(s, els)
}
