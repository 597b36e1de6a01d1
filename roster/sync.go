package roster

import (
	"context"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
)

// Changes made outside the XMPP service (the command line tool writes
// storage, then notifies the running server over the admin socket) reach
// the interested resources through Sync: the service remembers the roster
// its interested resources were last told about and pushes the difference.

// remember records the roster a user's interested resource just fetched.
func (s *Service) remember(user jid.JID, items []storage.RosterItem) {
	m := make(map[string]storage.RosterItem, len(items))
	for _, it := range items {
		m[it.Contact] = it
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known[user.Bare()] = m
}

// note records one pushed change (stored nil = removed) when the user's
// roster is remembered.
func (s *Service) note(user jid.JID, contact string, stored *storage.RosterItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.known[user.Bare()]
	if m == nil {
		return
	}
	if stored == nil {
		delete(m, contact)
	} else {
		m[contact] = *stored
	}
}

// forget drops the remembered roster of a user without interested
// resources left.
func (s *Service) forget(user jid.JID) {
	if user.IsZero() || len(s.Interested(user)) > 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.known, user.Bare())
}

// Sync pushes to the interested resources of user every roster item that
// changed in storage since they were last told (for example by
// `parley roster add`): changed and new items, and removals. Each push
// carries the current roster version, the state after all the changes.
func (s *Service) Sync(ctx context.Context, user jid.JID) error {
	user = user.Bare()
	s.changed(user)
	s.mu.Lock()
	old, ok := s.known[user]
	s.mu.Unlock()
	if !ok {
		return nil // nobody is interested
	}
	items, ver, err := s.core.Store().Roster(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		seen[it.Contact] = true
		var before *storage.RosterItem
		if o, ok := old[it.Contact]; ok {
			before = &o
		}
		if !sameRecord(before, &it) {
			s.pushChange(user, it.Contact, ver, before, &it)
		}
	}
	for contact, o := range old {
		if !seen[contact] {
			s.pushChange(user, contact, ver, &o, nil)
		}
	}
	return nil
}

// PushItem pushes the stored state of contact's item (or its removal) to
// the interested resources of user, with the current roster version.
func (s *Service) PushItem(ctx context.Context, user, contact jid.JID) error {
	user = user.Bare()
	s.changed(user)
	st := s.core.Store()
	items, ver, err := st.Roster(ctx, user.Domainpart(), user.Localpart())
	if err != nil {
		return err
	}
	for _, it := range items {
		if it.Contact == contact.String() && !it.PendingOnly {
			s.push(user, ver, WireItem(it), &it)
			return nil
		}
	}
	s.push(user, ver, RemovedItem(contact.String()), nil)
	return nil
}
