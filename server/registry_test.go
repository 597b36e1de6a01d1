package server

import (
	"slices"
	"testing"

	"github.com/parley-xmpp/parley/server/jid"
)

// TestRegistryLists checks the per-user lists: binding order, lookup by
// full JID, replacement in place of the order, and removal at the head,
// in the middle and at the tail.
func TestRegistryLists(t *testing.T) {
	r := newRegistry()
	sess := map[string]*Session{}
	bind := func(full string, replace bool) (*Session, *Session, bool) {
		t.Helper()
		s := &Session{jid: jid.MustParse(full)}
		old, ok := r.bind(s, s.jid, replace)
		if ok {
			sess[full] = s
		}
		return s, old, ok
	}
	order := func(user string) []string {
		var out []string
		for _, s := range r.Sessions(jid.MustParse(user)) {
			out = append(out, s.jid.Resourcepart())
		}
		return out
	}
	for _, full := range []string{"a@x/1", "a@x/2", "b@x/1", "a@x/3", "a@y/1"} {
		if _, old, ok := bind(full, true); !ok || old != nil {
			t.Fatalf("bind %s: old %v ok %v", full, old, ok)
		}
	}
	if got := order("a@x"); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("a@x sessions %v", got)
	}
	if r.Count() != 5 || r.Lookup(jid.MustParse("a@x/2")) != sess["a@x/2"] ||
		r.Lookup(jid.MustParse("a@x/4")) != nil || r.Lookup(jid.MustParse("a@x")) != nil {
		t.Fatal("lookup")
	}
	if _, old, ok := bind("a@x/2", false); ok || old != sess["a@x/2"] {
		t.Fatalf("reject: old %v ok %v", old, ok)
	}
	prev := sess["a@x/2"]
	if s, old, ok := bind("a@x/2", true); !ok || old != prev || r.Lookup(s.jid) != s {
		t.Fatalf("replace: old %v ok %v", old, ok)
	}
	if got := order("a@x"); !slices.Equal(got, []string{"1", "3", "2"}) || r.Count() != 5 {
		t.Fatalf("after replace %v, %d", got, r.Count())
	}
	r.remove(prev) // no longer registered: nothing happens
	for _, tc := range []struct {
		full string
		want []string
	}{{"a@x/3", []string{"1", "2"}}, {"a@x/1", []string{"2"}}, {"a@x/2", nil}} {
		r.remove(sess[tc.full])
		if got := order("a@x"); !slices.Equal(got, tc.want) {
			t.Fatalf("after removing %s: %v, want %v", tc.full, got, tc.want)
		}
	}
	if r.Count() != 2 || len(r.users["x"]) != 1 || order("b@x")[0] != "1" || order("a@y")[0] != "1" {
		t.Fatalf("left: %d %v", r.Count(), r.users)
	}
	r.remove(sess["b@x/1"])
	r.remove(sess["a@y/1"])
	if r.Count() != 0 || len(r.users) != 0 {
		t.Fatalf("empty registry holds %d, %v", r.Count(), r.users)
	}
}
