// Package presence implements the presence side of RFC 6121: presence
// subscriptions (§3) through the pure state machine of package roster,
// initial, subsequent and unavailable presence broadcast with probes (§4.2
// to §4.5), directed presence and its tracking (§4.6), and the presence
// delivery rules of §8.5. It replaces the router's default presence
// handler.
//
// Lock order: Service.mu is a leaf; it is never held while routing.
package presence

import (
	"context"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
)

// Service is the presence module of one session core.
type Service struct {
	core   *server.Core
	roster *roster.Service

	mu       sync.Mutex // guards the fields below
	sessions map[*server.Session]*sessionState
	gone     map[jid.JID]lastUnavailable // bare JID → last unavailable presence
	onAvail  []func(ctx context.Context, s *server.Session)
}

// sessionState is what the module tracks per session.
type sessionState struct {
	available bool
	// noFrom: the roster read for the last available presence held no
	// contact with a 'from' subscription, and no change to the roster was
	// reported since (roster.Service.OnChange), so unavailable presence
	// has no contact to go to and the roster need not be read again.
	// watch is set while that read is under way; a change clears both.
	noFrom, watch bool
	// last is the last broadcast available presence; nil while available
	// when it was a bare <presence/>, as most initial presences are (see
	// plain): it is built again when asked for.
	last     *stanza.Stanza
	directed map[jid.JID]struct{} // §4.6.3 directed presence recipients; nil when none
}

// lastUnavailable is a user's last unavailable presence, for probes
// (§4.3.2): st is nil for the bare one the module sends for a session
// that ended without one (see plainUnavailable).
type lastUnavailable struct {
	st *stanza.Stanza
	at time.Time
}

// New returns the presence module for core, using rs for roster changes.
func New(core *server.Core, rs *roster.Service) *Service {
	return &Service{
		core: core, roster: rs,
		sessions: map[*server.Session]*sessionState{},
		gone:     map[jid.JID]lastUnavailable{},
	}
}

// Register installs the module: the router's presence handler, the end of
// sessions (unavailable presence on every kind of session end, §4.5.2) and
// the presence side of roster removals (§2.5.2).
func (p *Service) Register() {
	p.core.Router().SetPresenceHandler(p.handle)
	p.core.OnSessionEnd(p.sessionEnded)
	p.roster.OnRemove = p.afterRemove
	p.roster.OnChange = p.rosterChanged
}

// rosterChanged forgets that the sessions of user had no contact with a
// 'from' subscription: the roster is read again when they become
// unavailable.
func (p *Service) rosterChanged(user jid.JID) {
	sessions := p.core.Registry().Sessions(user)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range sessions {
		if ss := p.sessions[s]; ss != nil {
			ss.noFrom, ss.watch = false, false
		}
	}
}

// OnAvailable registers fn to run after each available presence a session
// broadcasts (initial, RFC 6121 §4.2, or an update, §4.4) was processed:
// offline messages are delivered from here once the session's priority
// is non-negative.
// Call before serving.
func (p *Service) OnAvailable(fn func(ctx context.Context, s *server.Session)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onAvail = append(p.onAvail, fn)
}

// handle is the router's presence handler. from is the sending local
// session; nil means the presence arrives for a local user (inbound),
// which is how the module itself routes presence between users.
func (p *Service) handle(ctx context.Context, from *server.Session, st *stanza.Stanza) {
	if from == nil {
		p.inbound(ctx, st)
		return
	}
	if st.To.IsZero() { // broadcast, RFC 6121 §4.2.2, §4.4.2, §4.5.2
		switch st.Type {
		case "":
			p.available(ctx, from, st)
		case "unavailable":
			p.unavailable(ctx, from, st)
		}
		return // other types without 'to' mean nothing
	}
	switch st.Type {
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		p.outboundSubscription(ctx, from, st)
	case "", "unavailable":
		p.directed(ctx, from, st)
	case "error":
		p.core.Router().Deliver(ctx, st)
	}
	// Probes from clients are not honoured (RFC 6121 §4.3: a server's tool).
}

// inbound handles presence for a local user (RFC 6121 §8.5.2, §8.5.3).
func (p *Service) inbound(ctx context.Context, st *stanza.Stanza) {
	switch st.Type {
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		p.inboundSubscription(ctx, st)
	case "probe":
		p.probe(ctx, st.To, st.From)
	default: // available, unavailable, error
		p.deliver(st)
	}
}

// deliver hands presence to a full JID's session (ignored when there is
// none, §8.5.3.2.2) or to every available resource of a bare JID
// (§8.5.2.1.2), without rewriting 'to'.
func (p *Service) deliver(st *stanza.Stanza) {
	router := p.core.Router()
	if !st.To.IsBare() {
		if s := p.core.Registry().Lookup(st.To); s != nil {
			router.DeliverTo(s, st)
		}
		return
	}
	for _, s := range p.availableSessions(st.To) {
		router.DeliverTo(s, st)
	}
}

// availableSessions returns the sessions of user that sent initial
// presence, whatever their priority.
func (p *Service) availableSessions(user jid.JID) []*server.Session {
	var out []*server.Session
	for _, s := range p.core.Registry().Sessions(user.Bare()) {
		if avail, _ := s.Presence(); avail {
			out = append(out, s)
		}
	}
	return out
}

// state returns the tracked state of s, creating it.
// Precondition: p.mu held.
func (p *Service) state(s *server.Session) *sessionState {
	ss := p.sessions[s]
	if ss == nil {
		ss = &sessionState{}
		p.sessions[s] = ss
	}
	return ss
}

// presenceTo returns the last available presence s broadcast, from s and
// addressed to to, nil if s is not available.
func (p *Service) presenceTo(s *server.Session, to jid.JID) *stanza.Stanza {
	p.mu.Lock()
	ss := p.sessions[s]
	if ss == nil || !ss.available {
		p.mu.Unlock()
		return nil
	}
	last := ss.last
	p.mu.Unlock()
	if last == nil {
		return plainPresence(s.JID(), to, s.Lang())
	}
	return last.Restamp(s.JID(), to)
}

// plain reports whether st, an available presence a session broadcast, is
// a bare <presence/>: no content, and no attribute but the 'from' the
// router stamped and lang, the stream's xml:lang it added (RFC 6120
// §4.7.4). Such a presence is not kept: plainPresence builds it again, the
// same.
func plain(st *stanza.Stanza, lang string) bool {
	el := st.El
	if len(el.Child) != 0 || el.Space != "" {
		return false
	}
	switch len(el.Attr) {
	case 1:
		return el.Attr[0].Space == "" && el.Attr[0].Key == "from"
	case 2:
		a, l := el.Attr[0], el.Attr[1]
		return a.Space == "" && a.Key == "from" && l.Space == "xml" && l.Key == "lang" && l.Value == lang
	}
	return false
}

// plainPresence is a bare available presence from from to to, with the
// attributes in the order a restamped one has.
func plainPresence(from, to jid.JID, lang string) *stanza.Stanza {
	el := etree.NewElement("presence")
	el.CreateAttr("from", from.String())
	if lang != "" {
		el.CreateAttr("xml:lang", lang)
	}
	if !to.IsZero() {
		el.CreateAttr("to", to.String())
	}
	return &stanza.Stanza{El: el, Kind: stanza.KindPresence, Lang: lang, From: from, To: to}
}

// log returns the core's logger.
func (p *Service) log() *zerolog.Logger {
	l := p.core.Logger()
	return &l
}
