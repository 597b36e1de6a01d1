package server

import (
	"sync"

	"github.com/parley-xmpp/parley/server/jid"
)

// Registry indexes bound sessions by bare JID: the sessions bound to
// resources of one user form a list through Session.next, in binding
// order, so that a session costs one map entry for its user and no slice.
// Lookup by full JID walks the user's list, which holds one session per
// connected resource. Its lock guards only the map, the lists and the
// count; it is never held while calling out.
type Registry struct {
	mu    sync.RWMutex
	users map[jid.JID]*Session // bare JID → first session bound
	n     int                  // sessions bound
}

func newRegistry() *Registry {
	return &Registry{users: map[jid.JID]*Session{}}
}

// Lookup returns the session bound to the full JID j, nil if none.
func (r *Registry) Lookup(j jid.JID) *Session {
	if j.IsBare() {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for s := r.users[j.Bare()]; s != nil; s = s.next {
		if s.JID() == j {
			return s
		}
	}
	return nil
}

// Sessions returns (a copy of) the sessions bound to resources of the bare
// JID user, in binding order.
func (r *Registry) Sessions(user jid.JID) []*Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	first := r.users[user.Bare()]
	if first == nil {
		return nil
	}
	n := 0
	for s := first; s != nil; s = s.next {
		n++
	}
	out := make([]*Session, 0, n)
	for s := first; s != nil; s = s.next {
		out = append(out, s)
	}
	return out
}

// Count returns the number of bound sessions.
func (r *Registry) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.n
}

// bind registers s under full, which s.JID already returns. If another
// session holds full, replace decides: true takes it over and returns the
// old session (which the caller closes), false leaves it and returns
// ok=false.
func (r *Registry) bind(s *Session, full jid.JID, replace bool) (old *Session, ok bool) {
	b := full.Bare()
	r.mu.Lock()
	defer r.mu.Unlock()
	for x := r.users[b]; x != nil; x = x.next {
		if x.JID() == full {
			old = x
			break
		}
	}
	if old != nil {
		if !replace {
			return old, false
		}
		r.removeLocked(old, b)
	}
	s.next = nil
	if first := r.users[b]; first == nil {
		r.users[b] = s
	} else {
		last := first
		for last.next != nil {
			last = last.next
		}
		last.next = s
	}
	r.n++
	return old, true
}

// remove unregisters s if it is registered.
func (r *Registry) remove(s *Session) {
	j := s.JID()
	if j.IsZero() || j.IsBare() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeLocked(s, j.Bare())
}

// removeLocked removes s from the list of the bare JID b, if it is there.
// Precondition: r.mu held.
func (r *Registry) removeLocked(s *Session, b jid.JID) {
	var prev *Session
	for x := r.users[b]; x != nil; prev, x = x, x.next {
		if x != s {
			continue
		}
		switch {
		case prev != nil:
			prev.next = x.next
		case x.next != nil:
			r.users[b] = x.next
		default:
			delete(r.users, b)
		}
		x.next = nil
		r.n--
		return
	}
}
