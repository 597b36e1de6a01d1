package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parley-xmpp/parley/storage"
)

// setItem stores it unconditionally and returns the new roster version.
func setItem(t *testing.T, s storage.Store, domain, local string, it storage.RosterItem) int64 {
	t.Helper()
	_, ver, err := s.UpdateRosterItem(ctx(t), domain, local, it.Contact,
		func(*storage.RosterItem) (*storage.RosterItem, error) { return &it, nil })
	if err != nil {
		t.Fatalf("UpdateRosterItem(%q): %v", it.Contact, err)
	}
	return ver
}

func testRosterRoundTrip(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	full := storage.RosterItem{
		Contact: "bob@example.org", Name: "Bob «the builder»", Subscription: storage.SubBoth,
		Ask: true, PendingIn: true, PreApproved: true,
		PendingInStanza: `<presence from='bob@example.org' type='subscribe'><status>hi ☃</status></presence>`,
		Groups:          []string{"Friends", "Zürich", "a,b", `"quoted"`},
	}
	plain := storage.RosterItem{Contact: "carol@example.net"}
	setItem(t, s, "example.org", "alice", full)
	setItem(t, s, "example.org", "alice", plain)
	got, err := s.RosterItem(c, "example.org", "alice", full.Contact)
	if err != nil || !got.Equal(full) {
		t.Fatalf("RosterItem = %+v, %v; want %+v", got, err, full)
	}
	got, err = s.RosterItem(c, "example.org", "alice", plain.Contact)
	if err != nil || got.Subscription != storage.SubNone || got.Groups != nil || !got.Equal(plain) {
		t.Fatalf("RosterItem = %+v, %v; want %+v with subscription none and nil groups", got, err, plain)
	}
	items, ver, err := s.Roster(c, "example.org", "alice")
	if err != nil || ver != 2 || len(items) != 2 || !items[0].Equal(full) || !items[1].Equal(plain) {
		t.Fatalf("Roster = %+v, %d, %v", items, ver, err)
	}
	// The callback's Contact does not matter: the key is the argument.
	it, _, err := s.UpdateRosterItem(c, "example.org", "alice", "dave@example.org",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Contact: "wrong@example.org"}, nil
		})
	if err != nil || it == nil || it.Contact != "dave@example.org" {
		t.Fatalf("UpdateRosterItem returned %+v, %v", it, err)
	}
}

func testRosterVersion(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	check := func(step string, want int64) {
		t.Helper()
		v, err := s.RosterVersion(c, "example.org", "alice")
		if err != nil || v != want {
			t.Fatalf("%s: RosterVersion = %d, %v; want %d", step, v, err, want)
		}
	}
	check("new account", 0)
	it := storage.RosterItem{Contact: "bob@example.org", Groups: []string{"A"}}
	if v := setItem(t, s, "example.org", "alice", it); v != 1 {
		t.Fatalf("add: version %d, want 1", v)
	}
	if v := setItem(t, s, "example.org", "alice", it); v != 1 {
		t.Fatalf("same item again: version %d, want 1 (no-op)", v)
	}
	it.Groups = []string{"A", "B"}
	if v := setItem(t, s, "example.org", "alice", it); v != 2 {
		t.Fatalf("group change: version %d, want 2", v)
	}
	var seen *storage.RosterItem
	got, ver, err := s.UpdateRosterItem(c, "example.org", "alice", it.Contact,
		func(cur *storage.RosterItem) (*storage.RosterItem, error) {
			seen = cur
			cur.Name = "Bob" // callers may modify and return cur
			return cur, nil
		})
	if err != nil || ver != 3 || got == nil || got.Name != "Bob" || seen == nil || len(seen.Groups) != 2 {
		t.Fatalf("modify in place: %+v, %d, %v (saw %+v)", got, ver, err, seen)
	}
	del := func(*storage.RosterItem) (*storage.RosterItem, error) { return nil, nil }
	got, ver, err = s.UpdateRosterItem(c, "example.org", "alice", it.Contact, del)
	if err != nil || ver != 4 || got != nil {
		t.Fatalf("delete: %+v, %d, %v; want nil, 4", got, ver, err)
	}
	got, ver, err = s.UpdateRosterItem(c, "example.org", "alice", it.Contact, del)
	if err != nil || ver != 4 || got != nil {
		t.Fatalf("delete absent: %+v, %d, %v; want nil, 4 (no-op)", got, ver, err)
	}
	check("end", 4)
}

func testRosterAbort(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	setItem(t, s, "example.org", "alice", storage.RosterItem{Contact: "bob@example.org", Name: "Bob"})
	boom := errors.New("boom")
	_, _, err := s.UpdateRosterItem(c, "example.org", "alice", "bob@example.org",
		func(cur *storage.RosterItem) (*storage.RosterItem, error) {
			cur.Name = "changed"
			return cur, boom
		})
	if err != boom {
		t.Fatalf("error %v, want the callback's error as is", err)
	}
	_, _, err = s.UpdateRosterItem(c, "example.org", "alice", "bob@example.org",
		func(cur *storage.RosterItem) (*storage.RosterItem, error) {
			cur.Subscription = storage.SubRemove // removal is fn returning nil
			return cur, nil
		})
	if err == nil {
		t.Fatal("stored subscription \"remove\"")
	}
	got, err := s.RosterItem(c, "example.org", "alice", "bob@example.org")
	if err != nil || got.Name != "Bob" || got.Subscription != storage.SubNone {
		t.Fatalf("item after abort: %+v, %v", got, err)
	}
	if v, err := s.RosterVersion(c, "example.org", "alice"); err != nil || v != 1 {
		t.Fatalf("version after abort: %d, %v; want 1", v, err)
	}
}

func testRosterNoAccount(t *testing.T, s storage.Store) {
	c := ctx(t)
	called := false
	_, _, err := s.UpdateRosterItem(c, "example.org", "ghost", "bob@example.org",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			called = true
			return &storage.RosterItem{}, nil
		})
	wantErr(t, "UpdateRosterItem for unknown account", err, storage.ErrNotFound)
	if called {
		t.Fatal("callback called for unknown account")
	}
	_, _, err = s.Roster(c, "example.org", "ghost")
	wantErr(t, "Roster", err, storage.ErrNotFound)
	_, err = s.RosterVersion(c, "example.org", "ghost")
	wantErr(t, "RosterVersion", err, storage.ErrNotFound)
}

// testConcurrentWriters runs read-modify-write updates of one roster from
// many goroutines: none may be lost and the version counts every change.
func testConcurrentWriters(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	const workers, rounds = 20, 3
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				// Every update appends to the groups of one shared item.
				_, _, err := s.UpdateRosterItem(c, "example.org", "alice", "shared@example.org",
					func(cur *storage.RosterItem) (*storage.RosterItem, error) {
						if cur == nil {
							cur = &storage.RosterItem{}
						}
						cur.Groups = append(cur.Groups, fmt.Sprintf("w%d-%d", w, r))
						return cur, nil
					})
				if err != nil {
					errs <- err
				}
				// And one item of its own.
				_, _, err = s.UpdateRosterItem(c, "example.org", "alice", fmt.Sprintf("c%d-%d@example.org", w, r),
					func(*storage.RosterItem) (*storage.RosterItem, error) { return &storage.RosterItem{}, nil })
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent update: %v", err)
	}
	items, ver, err := s.Roster(c, "example.org", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * workers * rounds); ver != want {
		t.Fatalf("version %d, want %d (one per change)", ver, want)
	}
	if len(items) != workers*rounds+1 {
		t.Fatalf("%d items, want %d", len(items), workers*rounds+1)
	}
	shared, err := s.RosterItem(c, "example.org", "alice", "shared@example.org")
	if err != nil || len(shared.Groups) != workers*rounds {
		t.Fatalf("shared item has %d groups, want %d (lost updates): %v", len(shared.Groups), workers*rounds, err)
	}
}
