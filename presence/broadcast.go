package presence

import (
	"context"
	"errors"
	"time"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/storage"
)

// NSDelay is the XEP-0203 delayed delivery namespace.
const NSDelay = "urn:xmpp:delay"

// contact is one roster record seen from the presence side.
type contact struct {
	jid   jid.JID
	state roster.State
	item  storage.RosterItem
}

// contacts returns the user's roster records with a parseable JID; ok is
// false when the roster could not be read.
func (p *Service) contacts(ctx context.Context, user jid.JID) (cs []contact, ok bool) {
	items, _, err := p.core.Store().Roster(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		p.log().Error().Err(err).Str("jid", user.String()).Msg("presence: cannot read roster")
		return nil, false
	}
	if len(items) == 0 {
		return nil, true
	}
	out := make([]contact, 0, len(items))
	for _, it := range items {
		j, err := jid.Parse(it.Contact)
		if err != nil {
			continue
		}
		out = append(out, contact{jid: j, state: roster.FromItem(&it), item: it})
	}
	return out, true
}

// available processes broadcast available presence (RFC 6121 §4.2.2 for
// the initial one, §4.4.2 for updates): to every contact subscribed to
// the user and to the user's available resources. Initial presence also
// gathers the contacts' presence (§4.3), the presence of the user's other
// resources and pending subscription requests (§3.1.3). The OnAvailable
// hooks run last.
func (p *Service) available(ctx context.Context, s *server.Session, st *stanza.Stanza) {
	p.mu.Lock()
	ss := p.state(s)
	initial := !ss.available
	ss.available, ss.last = true, st
	if plain(st, s.Lang()) {
		ss.last = nil
	}
	ss.noFrom, ss.watch = false, true
	hooks := p.onAvail
	p.mu.Unlock()
	full, user := s.JID(), s.JID().Bare()
	router := p.core.Router()
	cs, read := p.contacts(ctx, user)
	from := false
	for _, c := range cs {
		if c.state.Sub.HasFrom() {
			router.Deliver(ctx, st.Restamp(full, c.jid))
			from = true
		}
	}
	p.mu.Lock()
	ss.noFrom = ss.watch && read && !from
	ss.watch = false
	p.mu.Unlock()
	own := p.availableSessions(user)
	for _, o := range own {
		router.DeliverTo(o, st.Restamp(full, o.JID()))
	}
	if initial {
		p.gather(ctx, s, cs, own)
	}
	for _, h := range hooks {
		h(ctx, s)
	}
}

// gather sends a resource that just became available what it needs to
// know: the presence of its contacts (§4.3, probes answered locally), of
// the user's other resources (§4.2.2) and pending subscription requests.
func (p *Service) gather(ctx context.Context, s *server.Session, cs []contact, own []*server.Session) {
	full := s.JID()
	router := p.core.Router()
	for _, c := range cs {
		if c.state.Sub.HasTo() && p.core.Serves(c.jid.Domainpart()) {
			// Local contacts need no probe stanza (§4.3.1): answer it here,
			// to the new resource only.
			p.probe(ctx, c.jid, full)
		}
	}
	for _, o := range own {
		if o == s {
			continue
		}
		if last := p.presenceTo(o, full); last != nil {
			router.DeliverTo(s, last)
		}
	}
	p.redeliverRequests(s, cs)
}

// redeliverRequests delivers the pending inbound subscription requests
// to a resource that became available (RFC 6121 §3.1.3 rule 4).
func (p *Service) redeliverRequests(s *server.Session, cs []contact) {
	for _, c := range cs {
		if !c.state.Sub.PendingIn() {
			continue
		}
		st := parseStored(c.item.PendingInStanza)
		if st == nil || st.Kind != stanza.KindPresence {
			st = stanza.NewPresence(string(roster.Subscribe), c.jid, s.JID().Bare())
		}
		p.core.Router().DeliverTo(s, st)
	}
}

// parseStored parses stored stanza XML, nil when it does not parse.
func parseStored(x string) *stanza.Stanza {
	if x == "" {
		return nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil || doc.Root() == nil {
		return nil
	}
	st, err := stanza.Parse(doc.Root())
	if err != nil {
		return nil
	}
	return st
}

// unavailable processes broadcast unavailable presence (RFC 6121 §4.5.2).
func (p *Service) unavailable(ctx context.Context, s *server.Session, st *stanza.Stanza) {
	was := p.reset(s, false)
	p.broadcastUnavailable(ctx, s.JID(), st, was)
}

// wasState is what reset returns about a session: whether it was
// available, whether its roster had no 'from' contact (sessionState.noFrom)
// and its directed presence recipients.
type wasState struct {
	available, noFrom bool
	directed          []jid.JID
}

// reset marks s unavailable (forgetting it when end) and returns what it
// was.
func (p *Service) reset(s *server.Session, end bool) wasState {
	p.mu.Lock()
	defer p.mu.Unlock()
	ss := p.sessions[s]
	if ss == nil {
		return wasState{}
	}
	if end {
		delete(p.sessions, s)
	}
	was := wasState{available: ss.available, noFrom: ss.noFrom}
	if len(ss.directed) > 0 {
		was.directed = make([]jid.JID, 0, len(ss.directed))
		for j := range ss.directed {
			was.directed = append(was.directed, j)
		}
	}
	ss.available, ss.last, ss.directed, ss.noFrom, ss.watch = false, nil, nil, false, false
	return was
}

// sessionEnded broadcasts unavailable presence for a session that ended
// without sending it: TCP close, stream error, BOSH terminate or timeout,
// admin kick, shutdown (RFC 6121 §4.5.2, §4.6.3).
func (p *Service) sessionEnded(s *server.Session, _ error) {
	was := p.reset(s, true)
	if !was.available && len(was.directed) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := stanza.NewPresence("unavailable", s.JID(), jid.JID{})
	p.broadcastUnavailable(ctx, s.JID(), st, was)
}

// broadcastUnavailable sends st from full to the contacts subscribed to
// the user and the user's other available resources (when the session was
// available), and to the directed presence recipients not reached that
// way (§4.6.3). The roster is not read when it is known to hold no
// contact with a 'from' subscription (was.noFrom).
func (p *Service) broadcastUnavailable(ctx context.Context, full jid.JID, st *stanza.Stanza, was wasState) {
	router := p.core.Router()
	user := full.Bare()
	var reached map[jid.JID]bool
	if was.available {
		var cs []contact
		if !was.noFrom {
			cs, _ = p.contacts(ctx, user)
		}
		for _, c := range cs {
			if c.state.Sub.HasFrom() {
				router.Deliver(ctx, st.Restamp(full, c.jid))
				if reached == nil {
					reached = map[jid.JID]bool{}
				}
				reached[c.jid] = true
			}
		}
		own := p.availableSessions(user)
		for _, o := range own {
			if o.JID() != full {
				router.DeliverTo(o, st.Restamp(full, o.JID()))
			}
		}
		if len(own) == 0 || (len(own) == 1 && own[0].JID() == full) {
			p.mu.Lock()
			g := lastUnavailable{st: st, at: time.Now().UTC()}
			if plainUnavailable(st) {
				g.st = nil // kept per user that went away: keep it small
			}
			p.gone[user] = g
			p.mu.Unlock()
		}
	}
	for _, d := range was.directed {
		if !reached[d.Bare()] && d.Bare() != user {
			router.Deliver(ctx, st.Restamp(full, d))
		}
	}
}

// directed delivers directed presence and tracks its recipient (RFC 6121
// §4.6.3) so that it gets unavailable presence when the session ends.
func (p *Service) directed(ctx context.Context, s *server.Session, st *stanza.Stanza) {
	p.mu.Lock()
	ss := p.state(s)
	if st.Type == "" {
		if ss.directed == nil {
			ss.directed = map[jid.JID]struct{}{}
		}
		ss.directed[st.To] = struct{}{}
	} else {
		delete(ss.directed, st.To)
	}
	p.mu.Unlock()
	p.core.Router().Deliver(ctx, st)
}

// probe answers a presence probe to the local account to (bare or full)
// from requester (RFC 6121 §4.3.2).
func (p *Service) probe(ctx context.Context, to, requester jid.JID) {
	router := p.core.Router()
	owner := to.Bare()
	refuse := func() {
		router.Deliver(ctx, stanza.NewPresence(string(roster.Unsubscribed), owner, requester.Bare()))
	}
	if !router.UserExists(ctx, owner) {
		refuse()
		return
	}
	it, err := p.core.Store().RosterItem(ctx, owner.Domainpart(), owner.Localpart(), requester.Bare().String())
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		p.log().Error().Err(err).Msg("presence: cannot read roster item")
		return
	}
	var state roster.State
	if err == nil {
		state = roster.FromItem(&it)
	}
	if !state.Sub.HasFrom() {
		refuse()
		return
	}
	answered := false
	for _, s := range p.availableSessions(owner) {
		if !to.IsBare() && s.JID() != to {
			continue
		}
		if last := p.presenceTo(s, requester); last != nil {
			router.Deliver(ctx, last)
			answered = true
		}
	}
	if !answered && to.IsBare() {
		router.Deliver(ctx, p.lastUnavailable(owner, requester))
	}
}

// lastUnavailable builds the answer to a probe of a user without available
// resources: unavailable presence from the bare JID with the time of the
// last unavailable presence (RFC 6121 §4.3.2 rule 3, XEP-0203).
func (p *Service) lastUnavailable(owner, requester jid.JID) *stanza.Stanza {
	p.mu.Lock()
	g, ok := p.gone[owner]
	p.mu.Unlock()
	if !ok {
		return stanza.NewPresence("unavailable", owner, requester)
	}
	var st *stanza.Stanza
	if g.st == nil {
		st = bareUnavailable(owner, requester)
	} else {
		st = g.st.Restamp(owner, requester)
	}
	d := st.El.CreateElement("delay")
	d.CreateAttr("xmlns", NSDelay)
	d.CreateAttr("from", owner.Domainpart())
	d.CreateAttr("stamp", g.at.Format("2006-01-02T15:04:05Z"))
	return st
}

// plainUnavailable reports whether st is the bare unavailable presence
// sessionEnded sends (stanza.NewPresence with no 'to'): lastUnavailable
// builds it again, restamped, the same.
func plainUnavailable(st *stanza.Stanza) bool {
	el := st.El
	return len(el.Child) == 0 && el.Space == "" && len(el.Attr) == 2 &&
		el.Attr[0].Space == "" && el.Attr[0].Key == "from" &&
		el.Attr[1].Space == "" && el.Attr[1].Key == "type" && el.Attr[1].Value == "unavailable"
}

// bareUnavailable is the bare unavailable presence from from to to, with
// the attributes in the order a restamped one has.
func bareUnavailable(from, to jid.JID) *stanza.Stanza {
	el := etree.NewElement("presence")
	el.CreateAttr("from", from.String())
	el.CreateAttr("type", "unavailable")
	if !to.IsZero() {
		el.CreateAttr("to", to.String())
	}
	return &stanza.Stanza{El: el, Kind: stanza.KindPresence, Type: "unavailable", From: from, To: to}
}

// sendPresence sends the current presence of each available resource of
// user to contact (RFC 6121 §3.1.5: the contact just got a subscription).
func (p *Service) sendPresence(ctx context.Context, user, to jid.JID) {
	for _, s := range p.availableSessions(user) {
		if last := p.presenceTo(s, to); last != nil {
			p.core.Router().Deliver(ctx, last)
		}
	}
}

// sendUnavailable sends unavailable presence from each available resource
// of user to contact (RFC 6121 §2.5.2, §3.2.2, §3.3.3: the contact's
// subscription ended).
func (p *Service) sendUnavailable(ctx context.Context, user, to jid.JID) {
	for _, s := range p.availableSessions(user) {
		p.core.Router().Deliver(ctx, stanza.NewPresence("unavailable", s.JID(), to))
	}
}

// afterRemove is the presence side of a roster removal (RFC 6121 §2.5.2).
func (p *Service) afterRemove(ctx context.Context, user, contact jid.JID, prev roster.State) {
	if prev.Sub.HasFrom() {
		p.sendUnavailable(ctx, user, contact)
	}
}
