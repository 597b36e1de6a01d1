package roster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/storage"
)

// The server side of RFC 6121 §2: the jabber:iq:roster handlers, roster
// pushes to interested resources and the stream features.

// DefaultMaxItems is the default limit on the number of items in a roster.
const DefaultMaxItems = 1000

// Options configure the roster service. Zero fields take the defaults.
type Options struct {
	Limits   Limits // item limits; zero → DefaultLimits
	MaxItems int    // items per roster; 0 → DefaultMaxItems
}

// Service answers roster gets and sets and pushes roster changes to the
// interested resources of a user (RFC 6121 §2.1.6): the sessions that
// requested the roster (server.Session.RosterRequested).
type Service struct {
	core *server.Core
	opts Options

	// OnRemove, when set, runs after the user removed contact from the
	// roster and the cancellations of RFC 6121 §2.5.2 were routed; prev is
	// the state before the removal. The presence module sets it to send
	// unavailable presence to a contact that lost its subscription.
	OnRemove func(ctx context.Context, user, contact jid.JID, prev State)
	// OnChange, when set, runs after a change to the user's roster (bare
	// JID) was stored through Update, and when Sync or PushItem is told of
	// changes made in storage by others. The presence module sets it to
	// forget what it knows of the roster.
	OnChange func(user jid.JID)

	mu    sync.Mutex // guards known
	known map[jid.JID]map[string]storage.RosterItem
}

// New returns a roster service on core; Register wires it.
func New(core *server.Core, opts Options) *Service {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = DefaultMaxItems
	}
	return &Service{core: core, opts: opts, known: map[jid.JID]map[string]storage.RosterItem{}}
}

// Register registers the jabber:iq:roster handler for accounts and the
// stream features of roster versioning (RFC 6121 §2.6.1) and
// subscription pre-approval (§3.4), and forgets what ended sessions knew.
func (s *Service) Register() {
	s.core.Router().HandleIQ(server.IQAccount, NS, "query", s.handleIQ)
	for _, ns := range []string{NSVersioning, NSPreApproval} {
		s.core.AddStreamFeature(server.Feature{
			Name: ns, Needs: server.Authenticated, Forbids: server.Bound,
			Element: func(*server.Session) *etree.Element {
				el := etree.NewElement(featureTag(ns))
				el.CreateAttr("xmlns", ns)
				return el
			},
		})
	}
	s.core.OnSessionEnd(func(sess *server.Session, _ error) { s.forget(sess.JID().Bare()) })
}

// featureTag is the element name of a roster stream feature.
func featureTag(ns string) string {
	if ns == NSVersioning {
		return "ver" // RFC 6121 §2.6.1
	}
	return "sub" // RFC 6121 §3.4.1
}

// handleIQ answers a roster get or set (RFC 6121 §2.1.3, §2.1.5). Only
// the account's own resources may touch the roster (§2.3.3 forbidden).
func (s *Service) handleIQ(ctx context.Context, iq *server.IQ) (*etree.Element, error) {
	if iq.Session == nil || iq.From.Bare() != iq.To {
		return nil, stanza.NewError(stanza.Forbidden, "")
	}
	if iq.Type == "get" {
		return s.get(ctx, iq)
	}
	return s.set(ctx, iq)
}

// get answers a roster get (RFC 6121 §2.1.4, §2.6.3): an empty result when
// the client's cached version is current, else the whole roster with its
// version. The session becomes an interested resource.
func (s *Service) get(ctx context.Context, iq *server.IQ) (*etree.Element, error) {
	ver, hasVer, err := ParseGet(iq.Payload())
	if err != nil {
		return nil, err
	}
	user := iq.To
	items, cur, err := s.core.Store().Roster(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		return nil, err
	}
	s.remember(user, items)
	iq.Session.SetRosterRequested()
	if v, ok := ParseVer(ver); hasVer && ok && v == cur {
		return nil, nil
	}
	var wire []Item
	for _, it := range items {
		if !it.PendingOnly {
			wire = append(wire, WireItem(it))
		}
	}
	return Query(FormatVer(cur), wire), nil
}

// errItemNotFound aborts the removal of an item that is not in the roster.
var errItemNotFound = stanza.NewError(stanza.ItemNotFound, "no such roster item")

// set adds, updates or removes one item (RFC 6121 §2.3, §2.4, §2.5).
func (s *Service) set(ctx context.Context, iq *server.IQ) (*etree.Element, error) {
	it, err := ParseSet(iq.Payload(), s.opts.Limits)
	if err != nil {
		return nil, err
	}
	user := iq.To
	contact, err := it.Contact(user)
	if err != nil {
		return nil, err
	}
	if it.Remove() {
		return nil, s.remove(ctx, user, contact)
	}
	if err := s.checkSize(ctx, user, contact); err != nil {
		return nil, err
	}
	_, _, err = s.Update(ctx, user, contact, func(cur *storage.RosterItem) (*storage.RosterItem, error) {
		var next storage.RosterItem
		if cur != nil {
			next = *cur
		}
		next.Name, next.Groups, next.PendingOnly = it.Name, it.Groups, false
		return &next, nil
	})
	return nil, err
}

// checkSize refuses a new item when the roster is full.
func (s *Service) checkSize(ctx context.Context, user, contact jid.JID) error {
	st := s.core.Store()
	_, err := st.RosterItem(ctx, user.Domainpart(), user.Localpart(), contact.String())
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	items, _, err := st.Roster(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		return err
	}
	if len(items) >= s.opts.MaxItems {
		return stanza.NewError(stanza.NotAllowed, "roster is full")
	}
	return nil
}

// remove deletes an item and routes the cancellations it implies (RFC
// 6121 §2.5.2): unsubscribe and unsubscribed from the user's bare JID.
func (s *Service) remove(ctx context.Context, user, contact jid.JID) error {
	var prev State
	_, _, err := s.Update(ctx, user, contact, func(cur *storage.RosterItem) (*storage.RosterItem, error) {
		if cur == nil || cur.PendingOnly {
			return nil, errItemNotFound
		}
		prev = FromItem(cur)
		return nil, nil
	})
	if err != nil {
		return err
	}
	r := Remove(prev)
	router := s.core.Router()
	if r.Unsubscribe {
		router.Deliver(ctx, stanza.NewPresence(string(Unsubscribe), user, contact))
	}
	if r.Unsubscribed {
		router.Deliver(ctx, stanza.NewPresence(string(Unsubscribed), user, contact))
	}
	if s.OnRemove != nil {
		s.OnRemove(ctx, user, contact, prev)
	}
	return nil
}

// Update changes the user's record of contact in one storage transaction
// (fn as in storage.Rosters.UpdateRosterItem) and pushes the change to the
// user's interested resources: the new item, or its removal when it left
// the roster. It returns the records before and after (nil when absent).
func (s *Service) Update(ctx context.Context, user, contact jid.JID,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (prev, next *storage.RosterItem, err error) {
	user = user.Bare()
	var before *storage.RosterItem
	next, ver, err := s.core.Store().UpdateRosterItem(ctx, user.Domainpart(), user.Localpart(), contact.String(),
		func(cur *storage.RosterItem) (*storage.RosterItem, error) {
			before = nil
			if cur != nil {
				c := *cur
				before = &c
			}
			return fn(cur)
		})
	if err != nil {
		return nil, nil, err
	}
	if sameRecord(before, next) {
		return before, next, nil
	}
	s.changed(user)
	s.pushChange(user, contact.String(), ver, before, next)
	return before, next, nil
}

// changed runs OnChange for the bare JID user.
func (s *Service) changed(user jid.JID) {
	if s.OnChange != nil {
		s.OnChange(user.Bare())
	}
}

// sameRecord reports whether two records (nil = absent) hold the same data.
func sameRecord(a, b *storage.RosterItem) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// pushChange pushes one stored change when the roster shows it.
func (s *Service) pushChange(user jid.JID, contact string, ver int64, before, next *storage.RosterItem) {
	visible := func(it *storage.RosterItem) bool { return it != nil && !it.PendingOnly }
	switch {
	case visible(next):
		s.push(user, ver, WireItem(*next), next)
	case visible(before):
		s.push(user, ver, RemovedItem(contact), nil)
	default:
		s.note(user, contact, next)
	}
}

// push sends a roster push of item to every interested resource of user
// (RFC 6121 §2.1.6), from the user's bare JID, with the version (§2.6.3).
// stored is the record now stored (nil when removed), remembered for Sync.
func (s *Service) push(user jid.JID, ver int64, item Item, stored *storage.RosterItem) {
	s.note(user, item.JID, stored)
	payload := Push(FormatVer(ver), item)
	router := s.core.Router()
	for _, sess := range s.Interested(user) {
		iq := stanza.NewIQ("set", pushID(), user.Bare(), sess.JID(), payload.Copy())
		router.DeliverTo(sess, iq)
	}
}

// Interested returns the sessions of user that requested the roster.
func (s *Service) Interested(user jid.JID) []*server.Session {
	var out []*server.Session
	for _, sess := range s.core.Registry().Sessions(user.Bare()) {
		if sess.RosterRequested() {
			out = append(out, sess)
		}
	}
	return out
}

// pushID returns a random IQ id for a push.
func pushID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "push-" + hex.EncodeToString(b[:])
}
