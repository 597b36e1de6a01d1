package roster

import (
	"reflect"
	"testing"

	"github.com/parley-xmpp/parley/storage"
)

func TestFromItem(t *testing.T) {
	if got := FromItem(nil); got != (State{}) {
		t.Fatalf("FromItem(nil) = %+v", got)
	}
	for sub := None; sub <= Both; sub++ {
		it := &storage.RosterItem{
			Contact:      "a@b",
			Subscription: storage.Subscription(sub.Subscription()),
			Ask:          sub.PendingOut(),
			PendingIn:    sub.PendingIn(),
		}
		want := State{Sub: sub, InRoster: true}
		if got := FromItem(it); got != want {
			t.Errorf("FromItem(%+v) = %+v, want %+v", it, got, want)
		}
	}
	// An empty Subscription is stored as none; a pre-approval only where
	// §3.4.2 can set it.
	got := FromItem(&storage.RosterItem{Ask: true, PreApproved: true})
	if got != (State{Sub: NonePendingOut, PreApproved: true, InRoster: true}) {
		t.Errorf("got %+v", got)
	}
	got = FromItem(&storage.RosterItem{Subscription: storage.SubFrom, PreApproved: true})
	if got.PreApproved {
		t.Errorf("pre-approval kept in From: %+v", got)
	}
}

func TestApplyState(t *testing.T) {
	cur := &storage.RosterItem{
		Contact: "juliet@example.com", Name: "Juliet", Subscription: storage.SubNone,
		PendingIn: true, PendingInStanza: "<presence type='subscribe'/>", Groups: []string{"VIPs"},
	}
	o := Outbound(FromItem(cur), Subscribed)
	got := ApplyState(cur, cur.Contact, o.State)
	want := &storage.RosterItem{
		Contact: "juliet@example.com", Name: "Juliet", Subscription: storage.SubFrom,
		Groups: []string{"VIPs"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	got.Groups[0] = "changed"
	if cur.Groups[0] != "VIPs" {
		t.Fatal("ApplyState shares the groups slice")
	}

	// A new pending request keeps the stanza the caller stored.
	cur = &storage.RosterItem{Contact: "a@b", Ask: true, PendingInStanza: "<presence/>", PendingIn: true}
	got = ApplyState(cur, "a@b", Inbound(FromItem(cur), Subscribe).State)
	if !got.PendingIn || got.PendingInStanza == "" || !got.Ask {
		t.Fatalf("pending request lost: %+v", got)
	}

	// Denying the request of someone never added leaves nothing.
	if got := ApplyState(nil, "a@b", Outbound(State{Sub: NonePendingIn}, Unsubscribed).State); got != nil {
		t.Fatalf("want no record, got %+v", got)
	}
	got = ApplyState(nil, "a@b", Inbound(State{}, Subscribe).State)
	if got == nil || !got.PendingIn || got.Subscription != storage.SubNone {
		t.Fatalf("pending-only record: %+v", got)
	}
}

func TestWireItem(t *testing.T) {
	it := storage.RosterItem{
		Contact: "juliet@example.com", Name: "Juliet", Subscription: storage.SubTo,
		PendingIn: true, Groups: []string{"VIPs"},
	}
	want := Item{JID: "juliet@example.com", Name: "Juliet", Subscription: "to", Groups: []string{"VIPs"}}
	if got := WireItem(it); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	it = storage.RosterItem{Contact: "a@b", Ask: true, PreApproved: true}
	want = Item{JID: "a@b", Subscription: "none", Ask: true, Approved: true}
	if got := WireItem(it); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := RemovedItem("a@b"); !got.Remove() || got.JID != "a@b" {
		t.Fatalf("RemovedItem: %+v", got)
	}
}

// A pending-only record round-trips as a state outside the roster, and
// approving the request puts the item in the roster (RFC 6121 §3.1.3).
func TestPendingOnlyRoundTrip(t *testing.T) {
	s := State{Sub: NonePendingIn}
	it := ApplyState(nil, "romeo@example.net", s)
	if it == nil || !it.PendingOnly || !it.PendingIn {
		t.Fatalf("ApplyState(NonePendingIn) = %+v", it)
	}
	if got := FromItem(it); got != s {
		t.Fatalf("FromItem = %+v, want %+v", got, s)
	}
	o := Outbound(FromItem(it), Subscribed)
	next := ApplyState(it, it.Contact, o.State)
	if next == nil || next.PendingOnly || next.Subscription != storage.SubFrom || !o.Push {
		t.Fatalf("after approval: %+v (outcome %+v)", next, o)
	}
}
