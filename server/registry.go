package server

import (
	"slices"
	"sync"

	"github.com/parley-xmpp/parley/server/jid"
)

// Registry indexes bound sessions by full and by bare JID. Its lock
// guards only the maps; it is never held while calling out.
type Registry struct {
	mu   sync.RWMutex
	full map[jid.JID]*Session
	bare map[jid.JID][]*Session
}

func newRegistry() *Registry {
	return &Registry{full: map[jid.JID]*Session{}, bare: map[jid.JID][]*Session{}}
}

// Lookup returns the session bound to the full JID j, nil if none.
func (r *Registry) Lookup(j jid.JID) *Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.full[j]
}

// Sessions returns (a copy of) the sessions bound to resources of the bare
// JID user, in binding order.
func (r *Registry) Sessions(user jid.JID) []*Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.bare[user.Bare()])
}

// Count returns the number of bound sessions.
func (r *Registry) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.full)
}

// bind registers s under full. If another session holds full, replace
// decides: true takes it over and returns the old session (which the
// caller closes), false leaves it and returns ok=false.
func (r *Registry) bind(s *Session, full jid.JID, replace bool) (old *Session, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old = r.full[full]
	if old != nil {
		if !replace {
			return old, false
		}
		r.removeLocked(old, full)
	}
	r.full[full] = s
	b := full.Bare()
	r.bare[b] = append(r.bare[b], s)
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
	if r.full[j] == s {
		r.removeLocked(s, j)
	}
}

// removeLocked removes s bound as full. Precondition: r.mu held.
func (r *Registry) removeLocked(s *Session, full jid.JID) {
	delete(r.full, full)
	b := full.Bare()
	list := slices.DeleteFunc(r.bare[b], func(x *Session) bool { return x == s })
	if len(list) == 0 {
		delete(r.bare, b)
	} else {
		r.bare[b] = list
	}
}
