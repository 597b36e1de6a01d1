package server

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// IQTarget says on whose behalf the server answers an IQ.
type IQTarget uint8

// IQ targets.
const (
	// IQServer: the IQ is addressed to a served domain (RFC 6120 §10.5.1).
	IQServer IQTarget = iota + 1
	// IQAccount: the IQ is addressed to a local user's bare JID or has no
	// 'to' (RFC 6120 §10.3.3, §10.5.3.2); the server answers for the
	// account.
	IQAccount
)

// IQ is an IQ get or set a handler answers.
type IQ struct {
	*stanza.Stanza
	// Session is the sender's session, nil when the IQ did not come from
	// a local client session.
	Session *Session
	// Target says whether the server or an account is addressed.
	Target IQTarget
	// To is the effective addressee: the domain for IQServer, the bare
	// JID of the account for IQAccount (the sender's own when 'to' was
	// absent).
	To jid.JID
}

// IQHandler answers an IQ get or set. It returns the payload of the
// result (nil for an empty result), a *stanza.Error for an error reply,
// or ErrNoReply when it answers by itself. Other errors become
// <internal-server-error/>.
type IQHandler func(ctx context.Context, iq *IQ) (*etree.Element, error)

// ErrNoReply tells the router that an IQHandler sends its answer itself.
var ErrNoReply = errors.New("server: handler replies itself")

// StanzaHandler handles a message or presence for a local user (or, for
// presence, a broadcast with no 'to'). from is the sender's session, nil
// for stanzas the server generated.
type StanzaHandler func(ctx context.Context, from *Session, st *stanza.Stanza)

type iqKey struct {
	target    IQTarget
	ns, local string
}

// Router routes stanzas by destination (RFC 6120 §8, §10): the server,
// bare and full JIDs of local users, other domains.
type Router struct {
	core *Core

	mu       sync.RWMutex // guards the fields below
	iq       map[iqKey]IQHandler
	features map[IQTarget][]string
	message  StanzaHandler
	presence StanzaHandler
	offline  func(ctx context.Context, st *stanza.Stanza) bool
}

func newRouter(c *Core) *Router {
	r := &Router{core: c, iq: map[iqKey]IQHandler{}, features: map[IQTarget][]string{}}
	r.message = r.DefaultMessage
	r.presence = r.DefaultPresence
	return r
}

// HandleIQ registers h for IQ get/set addressed to target whose payload
// is the element {ns}local, and advertises ns as a disco feature of the
// target. Registration happens in the composition root, before serving.
func (r *Router) HandleIQ(target IQTarget, ns, local string, h IQHandler) {
	r.mu.Lock()
	r.iq[iqKey{target, ns, local}] = h
	r.mu.Unlock()
	r.AddFeature(target, ns)
}

// AddFeature advertises a disco#info feature (XEP-0030) for target
// without a handler of its own (for example a stream feature).
func (r *Router) AddFeature(target IQTarget, feature string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.features[target], feature) {
		r.features[target] = append(r.features[target], feature)
	}
}

// Features returns the disco#info features of target, sorted.
func (r *Router) Features(target IQTarget) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f := slices.Clone(r.features[target])
	slices.Sort(f)
	return f
}

// SetMessageHandler replaces the delivery of messages to local users
// (default: DefaultMessage).
func (r *Router) SetMessageHandler(h StanzaHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.message = h
}

// SetPresenceHandler replaces the handling of presence to local users and
// of broadcast presence (default: DefaultPresence).
func (r *Router) SetPresenceHandler(h StanzaHandler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.presence = h
}

// SetOffline sets where DefaultMessage puts a message for an existing user
// with no available resource (RFC 6121 §8.5.2.2): fn returns true when it
// stored it. Without it such messages get <service-unavailable/>.
func (r *Router) SetOffline(fn func(ctx context.Context, st *stanza.Stanza) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.offline = fn
}

// Route handles a stanza a bound session sent: it checks and stamps
// 'from' (RFC 6120 §8.1.2.1) and delivers by destination. A stream error
// return means the sender's stream must be closed with it.
func (r *Router) Route(ctx context.Context, from *Session, st *stanza.Stanza) *stream.Error {
	me := from.JID()
	if !st.From.IsZero() && st.From != me && st.From != me.Bare() {
		return stream.NewError(stream.InvalidFrom, "") // RFC 6120 §4.9.3.9
	}
	if st.From != me {
		st.El.CreateAttr("from", me.String())
		st.From = me
	}
	if st.Lang == "" && from.lang != "" { // RFC 6120 §4.7.4: the stream's language
		st.El.CreateAttr("xml:lang", from.lang)
		st.Lang = from.lang
	}
	if st.To.IsZero() {
		switch st.Kind {
		case stanza.KindMessage:
			st.To = me.Bare() // RFC 6120 §10.3.1
		case stanza.KindPresence:
			r.broadcastPresence(ctx, from, st) // §10.3.2
			return nil
		case stanza.KindIQ:
			r.serveIQ(ctx, from, st, IQAccount, me.Bare()) // §10.3.3
			return nil
		}
	}
	r.route(ctx, from, st)
	return nil
}

// Deliver routes a stanza the server generated (from is not checked);
// st.To must be set.
func (r *Router) Deliver(ctx context.Context, st *stanza.Stanza) {
	if st.To.IsZero() {
		return
	}
	r.route(ctx, nil, st)
}

// route delivers by the 'to' address (RFC 6120 §10.4, §10.5).
func (r *Router) route(ctx context.Context, from *Session, st *stanza.Stanza) {
	to := st.To
	if !r.core.Serves(to.Domainpart()) {
		r.bounce(ctx, from, st, stanza.RemoteServerNotFound) // §10.4.3, no federation
		return
	}
	if to.Localpart() == "" { // §10.5.1, §10.5.2
		if st.Kind == stanza.KindIQ && to.Resourcepart() == "" {
			r.serveIQ(ctx, from, st, IQServer, to)
		} else if st.Kind == stanza.KindIQ {
			r.bounce(ctx, from, st, stanza.ServiceUnavailable)
		}
		return // messages and presence to the server itself are dropped
	}
	switch st.Kind {
	case stanza.KindIQ:
		r.routeIQ(ctx, from, st)
	case stanza.KindMessage:
		r.mu.RLock()
		h := r.message
		r.mu.RUnlock()
		h(ctx, from, st)
	case stanza.KindPresence:
		r.mu.RLock()
		h := r.presence
		r.mu.RUnlock()
		h(ctx, from, st)
	}
}

// routeIQ delivers an IQ to a local user (RFC 6120 §10.5.3, §10.5.4).
func (r *Router) routeIQ(ctx context.Context, from *Session, st *stanza.Stanza) {
	if !st.To.IsBare() {
		if s := r.core.registry.Lookup(st.To); s != nil {
			r.deliverTo(s, st)
			return
		}
		r.bounce(ctx, from, st, stanza.ServiceUnavailable) // RFC 6121 §8.5.3.2.1
		return
	}
	if !r.UserExists(ctx, st.To) {
		r.bounce(ctx, from, st, stanza.ServiceUnavailable) // §10.5.3.1
		return
	}
	r.serveIQ(ctx, from, st, IQAccount, st.To) // §10.5.3.2
}

// serveIQ answers an IQ on behalf of the server or an account.
func (r *Router) serveIQ(ctx context.Context, from *Session, st *stanza.Stanza, target IQTarget, to jid.JID) {
	if st.Type != "get" && st.Type != "set" {
		return // results and errors are never answered (§10.3.3)
	}
	p := st.Payload()
	if p == nil {
		r.bounce(ctx, from, st, stanza.BadRequest) // §8.2.3: exactly one payload
		return
	}
	r.mu.RLock()
	h := r.iq[iqKey{target, ns(p), p.Tag}]
	r.mu.RUnlock()
	if h == nil {
		r.bounce(ctx, from, st, stanza.ServiceUnavailable) // §8.4
		return
	}
	payload, err := h(ctx, &IQ{Stanza: st, Session: from, Target: target, To: to})
	var reply *stanza.Stanza
	var serr *stanza.Error
	switch {
	case errors.Is(err, ErrNoReply):
		return
	case errors.As(err, &serr):
		reply = stanza.ErrorReply(st, serr)
	case err != nil:
		r.core.log.Error().Err(err).Str("ns", ns(p)).Msg("IQ handler failed")
		reply = stanza.ErrorReply(st, stanza.NewError(stanza.InternalServerError, ""))
	default:
		reply = stanza.ResultIQ(st, payload)
	}
	r.reply(ctx, from, reply)
}

// bounce answers st with a stanza error of condition c, unless st is an
// error or an IQ result (never answered with an error, §8.3.1).
func (r *Router) bounce(ctx context.Context, from *Session, st *stanza.Stanza, c stanza.Condition) {
	if st.Type == "error" || (st.Kind == stanza.KindIQ && st.Type == "result") || st.From.IsZero() {
		return
	}
	if st.Kind == stanza.KindPresence {
		return // presence is never bounced (RFC 6121 §8.5)
	}
	r.reply(ctx, from, stanza.ErrorReply(st, stanza.NewError(c, "")))
}

// reply sends a reply to the sender: straight into its session when the
// reply is addressed to it, else through the router.
func (r *Router) reply(ctx context.Context, from *Session, reply *stanza.Stanza) {
	if from != nil && reply.To == from.JID() {
		r.deliverTo(from, reply)
		return
	}
	r.Deliver(ctx, reply)
}

// deliverTo queues st for s; if s is closing, st is undeliverable.
func (r *Router) deliverTo(s *Session, st *stanza.Stanza) {
	if !s.Deliver(st.El) {
		r.core.undeliverable(s, []*etree.Element{st.El})
	}
}

// DeliverTo queues st for the session s (for IM code that has chosen the
// recipient); a closing session hands st to the undeliverable hook.
func (r *Router) DeliverTo(s *Session, st *stanza.Stanza) { r.deliverTo(s, st) }

// UserExists reports whether the bare JID user is a local account. A
// bound session proves it without a storage round trip.
func (r *Router) UserExists(ctx context.Context, user jid.JID) bool {
	if !r.core.Serves(user.Domainpart()) || user.Localpart() == "" {
		return false
	}
	if len(r.core.registry.Sessions(user)) > 0 {
		return true
	}
	_, err := r.core.store.Account(ctx, user.Domainpart(), user.Localpart())
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		r.core.log.Error().Err(err).Msg("account lookup failed")
		return true
	}
	return err == nil
}

// broadcastPresence records the availability of the sender (RFC 6121
// §4.2, §4.5) and hands the presence to the presence handler.
func (r *Router) broadcastPresence(ctx context.Context, from *Session, st *stanza.Stanza) {
	switch st.Type {
	case "":
		from.SetPresence(true, priority(st.El))
	case "unavailable":
		from.SetPresence(false, 0)
	}
	r.mu.RLock()
	h := r.presence
	r.mu.RUnlock()
	h(ctx, from, st)
}

// priority returns the <priority/> of a presence (RFC 6121 §4.7.2.3).
func priority(el *etree.Element) int {
	p := el.SelectElement("priority")
	if p == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(p.Text()))
	if err != nil || n < -128 || n > 127 {
		return 0
	}
	return n
}
