package server

import (
	"sync"

	"github.com/parley-xmpp/parley/server/jid"
)

// Registry indexes bound sessions by user: the sessions bound to resources
// of one user form a list through Session.next, in binding order, so that
// a session costs one map entry for its user and no slice. The map is
// keyed by domain, then by localpart (the strings the JIDs hold, no copy).
// Lookup by full JID walks the user's list, which holds one session per
// connected resource. Its lock guards only the maps, the lists and the
// count; it is never held while calling out.
type Registry struct {
	mu    sync.RWMutex
	users map[string]map[string]*Session // domain → localpart → first session bound
	n     int                            // sessions bound
}

func newRegistry() *Registry {
	return &Registry{users: map[string]map[string]*Session{}}
}

// first returns the first session of the user j (any resource), nil if
// none. Precondition: r.mu held.
func (r *Registry) first(j jid.JID) *Session {
	return r.users[j.Domainpart()][j.Localpart()]
}

// setFirst makes s (nil: none) the first session of the user j.
// Precondition: r.mu held for writing.
func (r *Registry) setFirst(j jid.JID, s *Session) {
	d := j.Domainpart()
	m := r.users[d]
	switch {
	case s != nil && m == nil:
		r.users[d] = map[string]*Session{j.Localpart(): s}
	case s != nil:
		m[j.Localpart()] = s
	case m != nil:
		delete(m, j.Localpart())
		if len(m) == 0 {
			delete(r.users, d)
		}
	}
}

// Lookup returns the session bound to the full JID j, nil if none.
func (r *Registry) Lookup(j jid.JID) *Session {
	if j.IsBare() {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for s := r.first(j); s != nil; s = s.next {
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
	first := r.first(user)
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
	r.mu.Lock()
	defer r.mu.Unlock()
	for x := r.first(full); x != nil; x = x.next {
		if x.JID() == full {
			old = x
			break
		}
	}
	if old != nil {
		if !replace {
			return old, false
		}
		r.removeLocked(old, full)
	}
	s.next = nil
	if first := r.first(full); first == nil {
		r.setFirst(full, s)
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
	r.removeLocked(s, j)
}

// removeLocked removes s from the list of the user j, if it is there.
// Precondition: r.mu held for writing.
func (r *Registry) removeLocked(s *Session, j jid.JID) {
	var prev *Session
	for x := r.first(j); x != nil; prev, x = x, x.next {
		if x != s {
			continue
		}
		switch {
		case prev != nil:
			prev.next = x.next
		default:
			r.setFirst(j, x.next)
		}
		x.next = nil
		r.n--
		return
	}
}
