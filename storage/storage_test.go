package storage

import (
	"errors"
	"testing"
)

func TestApplyRosterFunc(t *testing.T) {
	cur := &RosterItem{Contact: "bob@example.org", Subscription: SubTo, Groups: []string{"A"}}
	same := func(c *RosterItem) (*RosterItem, error) { c.Groups = append(c.Groups[:0], "A"); return c, nil }
	next, changed, err := ApplyRosterFunc("bob@example.org", cur, same)
	if err != nil || changed || next == nil || !next.Equal(*cur) {
		t.Fatalf("same item: %+v, %v, %v", next, changed, err)
	}
	if cur.Groups[0] != "A" {
		t.Fatal("fn modified the caller's item")
	}
	next, changed, err = ApplyRosterFunc("x@example.org", nil,
		func(*RosterItem) (*RosterItem, error) { return &RosterItem{Groups: []string{}}, nil })
	if err != nil || !changed || next.Contact != "x@example.org" || next.Subscription != SubNone || next.Groups != nil {
		t.Fatalf("new item: %+v, %v, %v", next, changed, err)
	}
	next, changed, err = ApplyRosterFunc("x@example.org", nil,
		func(*RosterItem) (*RosterItem, error) { return nil, nil })
	if err != nil || changed || next != nil {
		t.Fatalf("delete absent: %+v, %v, %v", next, changed, err)
	}
	boom := errors.New("boom")
	if _, _, err = ApplyRosterFunc("x", cur, func(*RosterItem) (*RosterItem, error) { return nil, boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	if _, _, err = ApplyRosterFunc("x", nil, func(*RosterItem) (*RosterItem, error) {
		return &RosterItem{Subscription: "bogus"}, nil
	}); err == nil {
		t.Fatal("bogus subscription stored")
	}
}

func TestEqual(t *testing.T) {
	a := RosterItem{Contact: "a", Groups: nil}
	b := RosterItem{Contact: "a", Subscription: SubNone, Groups: []string{}}
	if !a.Equal(b) {
		t.Fatal("nil/empty groups or empty/none subscription differ")
	}
	if a.Equal(RosterItem{Contact: "a", Ask: true}) {
		t.Fatal("Ask ignored")
	}
}
