// Package offline implements message delivery to local users (RFC 6121
// §8.5, RFC 6120 §10.5) and offline message storage (XEP-0160): messages
// for a user without an available resource are stored, and delivered in
// order with a XEP-0203 delay stamp after the user's next initial presence
// with a non-negative priority. A stored message is removed only once it
// was handed to a session's transport queue; a session that dies with
// messages still queued gives them back to storage.
package offline

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// Feature is the disco feature of offline message storage (XEP-0160 §6,
// registered in the XEP-0030 feature registry).
const Feature = "msgoffline"

// NSDelay is the XEP-0203 delayed delivery namespace.
const NSDelay = "urn:xmpp:delay"

// DefaultLimit is the default number of offline messages kept per user.
const DefaultLimit = 1000

// Options configure offline storage; zero fields take the defaults.
type Options struct {
	Limit int // messages per user; 0 → DefaultLimit
}

// Service delivers messages to local users.
type Service struct {
	core  *server.Core
	opts  Options
	seed  maphash.Seed
	locks [64]sync.Mutex // per-user flush locks, striped by bare JID
}

// New returns the message delivery service of core.
func New(core *server.Core, opts Options) *Service {
	if opts.Limit <= 0 {
		opts.Limit = DefaultLimit
	}
	return &Service{core: core, opts: opts, seed: maphash.MakeSeed()}
}

// Register installs the service: the router's message handler, the
// undeliverable hook, delivery after initial presence (through ps) and
// the msgoffline disco feature of the server.
func (o *Service) Register(ps *presence.Service) {
	r := o.core.Router()
	r.SetMessageHandler(o.Message)
	r.AddFeature(server.IQServer, Feature)
	o.core.SetUndeliverable(o.undeliverable)
	ps.OnAvailable(o.Flush)
}

func (o *Service) log() *zerolog.Logger {
	l := o.core.Logger()
	return &l
}

// Message delivers a message to a local user (RFC 6121 §8.5, §8.5.4
// table 1).
func (o *Service) Message(ctx context.Context, from *server.Session, st *stanza.Stanza) {
	router := o.core.Router()
	if !st.To.IsBare() {
		if s := o.core.Registry().Lookup(st.To); s != nil {
			router.DeliverTo(s, st) // §8.5.3.1
			return
		}
	}
	if st.Type == "error" {
		return // §8.5.2.1.1, §8.5.2.2.1, §8.5.3.2.1: silently ignored
	}
	user := st.To.Bare()
	if !router.UserExists(ctx, user) {
		o.bounce(ctx, st, stanza.ServiceUnavailable) // §8.5.1
		return
	}
	if !st.To.IsBare() && st.Type != "chat" {
		// §8.5.3.2.1: a full JID without a session; only chat falls back
		// to the bare JID. Headline is ignored, the others bounced.
		if st.Type != "headline" {
			o.bounce(ctx, st, stanza.ServiceUnavailable)
		}
		return
	}
	switch st.Type {
	case "groupchat":
		o.bounce(ctx, st, stanza.ServiceUnavailable) // §8.5.2.1.1, §8.5.2.2.1
	case "headline":
		for _, s := range router.Available(user, false) { // all non-negative
			router.DeliverTo(s, st)
		}
	default: // normal, chat: the highest-priority non-negative resources
		targets := router.Available(user, true)
		for _, s := range targets {
			router.DeliverTo(s, st)
		}
		if len(targets) == 0 {
			o.store(ctx, user, st)
		}
	}
}

// Namespaces of payloads that decide whether a message is stored.
const (
	nsChatStates = "http://jabber.org/protocol/chatstates" // XEP-0085
	nsHints      = "urn:xmpp:hints"                        // XEP-0334
)

// storable reports whether a message is worth keeping offline: not when
// it asks not to be (XEP-0334 <no-store/>, <no-permanent-store/>), nor
// when it only carries a chat state notification (XEP-0085 §5.6).
func storable(el *etree.Element) bool {
	content, chatState := false, false
	for _, c := range el.ChildElements() {
		switch ns := c.NamespaceURI(); {
		case ns == nsHints && (c.Tag == "no-store" || c.Tag == "no-permanent-store"):
			return false
		case ns == nsChatStates:
			chatState = true
		case ns == nsHints || c.Tag == "thread" && (ns == "" || ns == stanza.NSClient):
		default:
			content = true
		}
	}
	return content || !chatState
}

// store keeps a message for later (XEP-0160 §4); over the limit the
// sender gets <service-unavailable/> (XEP-0160 §5). When storage fails
// (a database outage) the sender gets a wait-type
// <internal-server-error/> (RFC 6120 §8.3.3.6, §8.3.2 "wait": retry after
// waiting), not the permanent service-unavailable. A message not worth
// keeping (storable) is dropped silently.
func (o *Service) store(ctx context.Context, user jid.JID, st *stanza.Stanza) {
	if !storable(st.El) {
		return
	}
	_, err := o.core.Store().StoreOffline(ctx, user.Domainpart(), user.Localpart(), stream.String(st.El), o.opts.Limit)
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrLimit):
		o.bounce(ctx, st, stanza.ServiceUnavailable)
	default:
		o.log().Error().Err(err).Str("jid", user.String()).Msg("offline: cannot store message")
		o.reply(ctx, st, &stanza.Error{Type: stanza.Wait, Condition: stanza.InternalServerError})
	}
}

// bounce answers st with an error of condition c, never an error with an
// error.
func (o *Service) bounce(ctx context.Context, st *stanza.Stanza, c stanza.Condition) {
	o.reply(ctx, st, stanza.NewError(c, ""))
}

// reply answers st with e, never an error with an error.
func (o *Service) reply(ctx context.Context, st *stanza.Stanza, e *stanza.Error) {
	if st.Type == "error" || st.From.IsZero() {
		return
	}
	o.core.Router().Deliver(ctx, stanza.ErrorReply(st, e))
}

// Flush delivers the stored messages of a session's user to it, in
// order, with a delay stamp, when its priority is non-negative (XEP-0160
// §4). Messages are removed once queued for the session's transport. At
// most half the session's out-queue is filled at once, so that a long
// backlog does not close the session as a slow consumer; the rest follows
// the session's next available presence (or the next login).
func (o *Service) Flush(ctx context.Context, s *server.Session) {
	if _, prio := s.Presence(); prio < 0 {
		return
	}
	user := s.JID().Bare()
	mu := &o.locks[maphash.String(o.seed, user.String())%uint64(len(o.locks))]
	mu.Lock()
	defer mu.Unlock()
	st := o.core.Store()
	msgs, err := st.OfflineMessages(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		o.log().Error().Err(err).Str("jid", user.String()).Msg("offline: cannot read messages")
		return
	}
	if batch := max(1, o.core.Options().OutQueue/2); len(msgs) > batch {
		msgs = msgs[:batch]
	}
	var done int64
	for _, m := range msgs {
		el := o.stamped(m)
		if el != nil && !s.Deliver(el) {
			break // the session is closing: keep the rest
		}
		done = m.ID
	}
	if done == 0 {
		return
	}
	if err := st.DeleteOffline(ctx, user.Domainpart(), user.Localpart(), done); err != nil {
		o.log().Error().Err(err).Str("jid", user.String()).Msg("offline: cannot delete delivered messages")
	}
}

// stamped parses a stored message and adds the XEP-0203 <delay/> (unless
// it already carries this server's), nil when it does not parse.
func (o *Service) stamped(m storage.OfflineMessage) *etree.Element {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(m.XML); err != nil || doc.Root() == nil {
		o.log().Warn().Int64("id", m.ID).Msg("offline: dropping unparseable message")
		return nil
	}
	el := doc.Root()
	el.Parent().RemoveChild(el)
	for _, d := range el.SelectElements("delay") {
		if d.SelectAttrValue("xmlns", "") == NSDelay && o.core.Serves(d.SelectAttrValue("from", "")) {
			return el
		}
	}
	d := el.CreateElement("delay")
	d.CreateAttr("xmlns", NSDelay)
	if j, err := jid.Parse(el.SelectAttrValue("to", "")); err == nil {
		d.CreateAttr("from", j.Domainpart())
	}
	d.CreateAttr("stamp", m.Stored.UTC().Format("2006-01-02T15:04:05.000Z"))
	return el
}

// undeliverable takes the stanzas queued for a session that ended before
// they were written: chat and normal messages go to offline storage
// (error, groupchat and headline are dropped), IQ requests are bounced by
// the core, the rest is dropped.
func (o *Service) undeliverable(s *server.Session, els []*etree.Element) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rest []*etree.Element
	for _, el := range els {
		st, err := stanza.Parse(el)
		if err != nil || st.Kind != stanza.KindMessage {
			rest = append(rest, el)
			continue
		}
		switch st.Type {
		case "error", "groupchat", "headline":
			continue
		}
		user := s.JID().Bare()
		if !st.To.IsZero() {
			user = st.To.Bare()
		}
		if o.core.Serves(user.Domainpart()) && user.Localpart() != "" {
			o.store(ctx, user, st)
		}
	}
	if len(rest) > 0 {
		o.core.BounceUndeliverable(s, rest)
	}
}
