package storagetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/storage"
)

// imTests are the cases for the instant messaging additions: pending-only
// roster records, offline messages, vCards and private XML.
var imTests = []struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}{
	{"RosterPendingOnly", testRosterPendingOnly},
	{"Offline", testOffline},
	{"OfflineLimit", testOfflineLimit},
	{"OfflineNoAccount", testOfflineNoAccount},
	{"VCard", testVCard},
	{"PrivateXML", testPrivateXML},
	{"IMDeleteCascades", testIMDeleteCascades},
}

func testRosterPendingOnly(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	it := storage.RosterItem{Contact: "bob@example.org", PendingIn: true, PendingOnly: true,
		PendingInStanza: `<presence type='subscribe'/>`}
	setItem(t, s, "example.org", "alice", it)
	got, err := s.RosterItem(c, "example.org", "alice", it.Contact)
	if err != nil || !got.Equal(it) || !got.PendingOnly {
		t.Fatalf("RosterItem = %+v, %v; want %+v", got, err, it)
	}
	// Approving clears the flag, which is a change (a new version).
	it.PendingOnly = false
	ver := setItem(t, s, "example.org", "alice", it)
	items, v2, err := s.Roster(c, "example.org", "alice")
	if err != nil || v2 != ver || ver != 2 || len(items) != 1 || items[0].PendingOnly {
		t.Fatalf("Roster = %+v, %d, %v; want one ordinary item at version 2", items, v2, err)
	}
}

func testOffline(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	mustCreate(t, s, "example.org", "bob")
	before := time.Now().Add(-time.Second)
	var ids []int64
	for i := range 3 {
		id, err := s.StoreOffline(c, "example.org", "alice", fmt.Sprintf("<message><body>%d ☃</body></message>", i), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) > 0 && id <= ids[len(ids)-1] {
			t.Fatalf("ids not increasing: %v then %d", ids, id)
		}
		ids = append(ids, id)
	}
	if _, err := s.StoreOffline(c, "example.org", "bob", "<message/>", 0); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.OfflineMessages(c, "example.org", "alice")
	if err != nil || len(msgs) != 3 {
		t.Fatalf("OfflineMessages = %+v, %v", msgs, err)
	}
	for i, m := range msgs {
		want := fmt.Sprintf("<message><body>%d ☃</body></message>", i)
		if m.ID != ids[i] || m.XML != want || m.Stored.Before(before) || m.Stored.After(time.Now().Add(time.Second)) ||
			m.Stored.Location() != time.UTC {
			t.Fatalf("message %d = %+v; want id %d, %q, stored about now in UTC", i, m, ids[i], want)
		}
	}
	if err := s.DeleteOffline(c, "example.org", "alice", ids[1]); err != nil {
		t.Fatal(err)
	}
	msgs, err = s.OfflineMessages(c, "example.org", "alice")
	if err != nil || len(msgs) != 1 || msgs[0].ID != ids[2] {
		t.Fatalf("after DeleteOffline: %+v, %v", msgs, err)
	}
	if msgs, err := s.OfflineMessages(c, "example.org", "bob"); err != nil || len(msgs) != 1 {
		t.Fatalf("bob's messages: %+v, %v", msgs, err)
	}
}

func testOfflineLimit(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	for range 2 {
		if _, err := s.StoreOffline(c, "example.org", "alice", "<message/>", 2); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.StoreOffline(c, "example.org", "alice", "<message/>", 2)
	wantErr(t, "StoreOffline over the limit", err, storage.ErrLimit)
	msgs, err := s.OfflineMessages(c, "example.org", "alice")
	if err != nil || len(msgs) != 2 {
		t.Fatalf("OfflineMessages = %d, %v; want 2", len(msgs), err)
	}
	if err := s.DeleteOffline(c, "example.org", "alice", msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoreOffline(c, "example.org", "alice", "<message/>", 2); err != nil {
		t.Fatalf("StoreOffline after a delete: %v", err)
	}
}

func testOfflineNoAccount(t *testing.T, s storage.Store) {
	c := ctx(t)
	_, err := s.StoreOffline(c, "example.org", "nobody", "<message/>", 0)
	wantErr(t, "StoreOffline", err, storage.ErrNotFound)
	msgs, err := s.OfflineMessages(c, "example.org", "nobody")
	if err != nil || len(msgs) != 0 {
		t.Fatalf("OfflineMessages = %v, %v; want none", msgs, err)
	}
	wantErr(t, "SetVCard", s.SetVCard(c, "example.org", "nobody", "<vCard/>"), storage.ErrNotFound)
	wantErr(t, "SetPrivateXML", s.SetPrivateXML(c, "example.org", "nobody", "x", "y", "<y/>"), storage.ErrNotFound)
}

func testVCard(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	_, err := s.VCard(c, "example.org", "alice")
	wantErr(t, "VCard before set", err, storage.ErrNotFound)
	for _, v := range []string{`<vCard xmlns='vcard-temp'><FN>Alice ☃</FN></vCard>`, `<vCard xmlns='vcard-temp'/>`} {
		if err := s.SetVCard(c, "example.org", "alice", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.VCard(c, "example.org", "alice"); err != nil || got != v {
			t.Fatalf("VCard = %q, %v; want %q", got, err, v)
		}
	}
	if err := s.SetVCard(c, "example.org", "alice", ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.VCard(c, "example.org", "alice")
	wantErr(t, "VCard after delete", err, storage.ErrNotFound)
}

func testPrivateXML(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	_, err := s.PrivateXML(c, "example.org", "alice", "storage:bookmarks", "storage")
	wantErr(t, "PrivateXML before set", err, storage.ErrNotFound)
	a := `<storage xmlns='storage:bookmarks'><conference jid='a@b'/></storage>`
	b := `<storage xmlns='storage:rosternotes'/>`
	if err := s.SetPrivateXML(c, "example.org", "alice", "storage:bookmarks", "storage", a); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPrivateXML(c, "example.org", "alice", "storage:rosternotes", "storage", b); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PrivateXML(c, "example.org", "alice", "storage:bookmarks", "storage"); err != nil || got != a {
		t.Fatalf("PrivateXML = %q, %v", got, err)
	}
	if got, err := s.PrivateXML(c, "example.org", "alice", "storage:rosternotes", "storage"); err != nil || got != b {
		t.Fatalf("PrivateXML = %q, %v", got, err)
	}
	_, err = s.PrivateXML(c, "example.org", "alice", "storage:bookmarks", "other")
	wantErr(t, "PrivateXML of another element", err, storage.ErrNotFound)
	if err := s.SetPrivateXML(c, "example.org", "alice", "storage:bookmarks", "storage", ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.PrivateXML(c, "example.org", "alice", "storage:bookmarks", "storage")
	wantErr(t, "PrivateXML after delete", err, storage.ErrNotFound)
}

func testIMDeleteCascades(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	if _, err := s.StoreOffline(c, "example.org", "alice", "<message/>", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVCard(c, "example.org", "alice", "<vCard/>"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPrivateXML(c, "example.org", "alice", "a", "b", "<b xmlns='a'/>"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(c, "example.org", "alice"); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "example.org", "alice")
	if msgs, err := s.OfflineMessages(c, "example.org", "alice"); err != nil || len(msgs) != 0 {
		t.Fatalf("offline messages survived the account: %v, %v", msgs, err)
	}
	_, err := s.VCard(c, "example.org", "alice")
	wantErr(t, "VCard of recreated account", err, storage.ErrNotFound)
	_, err = s.PrivateXML(c, "example.org", "alice", "a", "b")
	wantErr(t, "PrivateXML of recreated account", err, storage.ErrNotFound)
}
