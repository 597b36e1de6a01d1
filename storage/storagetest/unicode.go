package storagetest

import (
	"testing"

	"github.com/parley-xmpp/parley/storage"
)

// testUnicode stores localparts as PRECIS leaves them (RFC 8265): unicode,
// case-folded, in NFC, byte for byte.
func testUnicode(t *testing.T, s storage.Store) {
	c := ctx(t)
	locals := []string{"σίσυφος", "ñandú", "日本語", "o'brien", "user%name_100"}
	for _, l := range locals {
		mustCreate(t, s, "example.org", l)
	}
	// NFD "ñandú" is a different string for storage: it must not collide.
	mustCreate(t, s, "example.org", "n\u0303andu\u0301")
	for _, l := range append(locals, "n\u0303andu\u0301") {
		a, err := s.Account(c, "example.org", l)
		if err != nil || a.Localpart != l {
			t.Fatalf("Account(%q) = %+v, %v", l, a, err)
		}
	}
	contact := "ἀχιλλεύς@ελλάδα.example"
	setItem(t, s, "example.org", "σίσυφος", storage.RosterItem{Contact: contact, Name: "Ἀχιλλεύς 🛡", Groups: []string{"ἥρωες"}})
	items, _, err := s.Roster(c, "example.org", "σίσυφος")
	if err != nil || len(items) != 1 || items[0].Contact != contact || items[0].Name != "Ἀχιλλεύς 🛡" ||
		len(items[0].Groups) != 1 || items[0].Groups[0] != "ἥρωες" {
		t.Fatalf("Roster = %+v, %v", items, err)
	}
	if got := names(t, s, "example.org"); len(got) != len(locals)+1 {
		t.Fatalf("ListAccounts = %v", got)
	}
}

// testMultiDomain checks that the same localpart in two domains is two
// independent accounts.
func testMultiDomain(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "one.example", "alice")
	mustCreate(t, s, "two.example", "alice")
	if err := s.SetCredentials(c, "two.example", "alice", creds(7)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(c, "two.example", "alice", true); err != nil {
		t.Fatal(err)
	}
	setItem(t, s, "one.example", "alice", storage.RosterItem{Contact: "bob@one.example"})
	a, err := s.Account(c, "one.example", "alice")
	if err != nil || a.Disabled {
		t.Fatalf("one.example alice = %+v, %v; want enabled", a, err)
	}
	got, err := s.Credentials(c, "one.example", "alice")
	if err != nil || !credsEqual(got, creds(1)) {
		t.Fatalf("one.example credentials = %+v, %v", got, err)
	}
	items, ver, err := s.Roster(c, "two.example", "alice")
	if err != nil || len(items) != 0 || ver != 0 {
		t.Fatalf("two.example roster = %+v, %d, %v; want empty", items, ver, err)
	}
	if err := s.DeleteAccount(c, "two.example", "alice"); err != nil {
		t.Fatal(err)
	}
	if items, ver, err := s.Roster(c, "one.example", "alice"); err != nil || len(items) != 1 || ver != 1 {
		t.Fatalf("one.example roster after deleting two.example alice = %+v, %d, %v", items, ver, err)
	}
}
