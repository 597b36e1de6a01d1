package presence

import (
	"context"

	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// outboundSubscription processes a subscription stanza a user sends
// (RFC 6121 §3.1.2, §3.1.5, §3.2.2, §3.3.2, §3.4.2): the state machine
// decides the new state (stored and pushed) and whether the stanza is
// routed, stamped with the user's bare JID and addressed to the contact's
// bare JID.
func (p *Service) outboundSubscription(ctx context.Context, s *server.Session, st *stanza.Stanza) {
	user, contact := s.JID().Bare(), st.To.Bare()
	if contact == user {
		return // a user is not their own contact (RFC 6121 §2.3.3 note)
	}
	t := roster.Type(st.Type)
	var out roster.Outcome
	_, _, err := p.roster.Update(ctx, user, contact, func(cur *storage.RosterItem) (*storage.RosterItem, error) {
		out = roster.Outbound(roster.FromItem(cur), t)
		if !out.Changed {
			return cur, nil
		}
		return roster.ApplyState(cur, contact.String(), out.State), nil
	})
	if err != nil {
		p.log().Error().Err(err).Str("jid", user.String()).Msg("presence: outbound subscription")
		p.core.Router().DeliverTo(s, stanza.ErrorReply(st, stanza.NewError(stanza.InternalServerError, "")))
		return
	}
	if out.Forwarded() {
		p.core.Router().Deliver(ctx, st.Restamp(user, contact))
	}
	p.followUp(ctx, user, contact, out)
}

// followUp sends the presence a subscription change implies: the user's
// presence to a contact that gained a subscription (§3.1.5), unavailable
// presence to one that lost it (§3.2.2, §3.3.3).
func (p *Service) followUp(ctx context.Context, user, contact jid.JID, out roster.Outcome) {
	switch {
	case out.GainedFrom():
		p.sendPresence(ctx, user, contact)
	case out.LostFrom():
		p.sendUnavailable(ctx, user, contact)
	}
}

// inboundSubscription processes a subscription stanza for a local user
// (RFC 6121 §3.1.3, §3.1.6, §3.2.3, §3.3.3): stored and pushed as the
// state machine says, delivered to the user's available resources (a
// request is kept for redelivery, §3.1.3 rule 4), auto-replied where the
// user's state already answers it (§3.1.3 rule 2, §3.4).
func (p *Service) inboundSubscription(ctx context.Context, st *stanza.Stanza) {
	user, contact := st.To.Bare(), st.From.Bare()
	if contact.IsZero() || contact == user {
		return
	}
	router := p.core.Router()
	if !router.UserExists(ctx, user) {
		if st.Type == string(roster.Subscribe) { // §3.1.3: nobody to approve it
			router.Deliver(ctx, stanza.NewPresence(string(roster.Unsubscribed), user, contact))
		}
		return
	}
	t := roster.Type(st.Type)
	// §3.1.3: the request is kept whole, addressed to the bare JID.
	stored := st.Restamp(contact, user)
	var out roster.Outcome
	_, _, err := p.roster.Update(ctx, user, contact, func(cur *storage.RosterItem) (*storage.RosterItem, error) {
		out = roster.Inbound(roster.FromItem(cur), t)
		if !out.Changed {
			return cur, nil
		}
		next := roster.ApplyState(cur, contact.String(), out.State)
		if t == roster.Subscribe && next != nil && next.PendingIn {
			next.PendingInStanza = stream.String(stored.El)
		}
		return next, nil
	})
	if err != nil {
		p.log().Error().Err(err).Str("jid", user.String()).Msg("presence: inbound subscription")
		return
	}
	if out.Forwarded() {
		for _, s := range p.availableSessions(user) {
			router.DeliverTo(s, stored)
		}
	}
	if out.AutoReply != "" {
		router.Deliver(ctx, stanza.NewPresence(string(out.AutoReply), user, contact))
	}
	p.followUp(ctx, user, contact, out)
}
