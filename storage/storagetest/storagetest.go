// Package storagetest is the conformance suite every storage backend must
// pass. A backend's tests call Run with a constructor of fresh stores.
package storagetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/storage"
)

// Run runs the suite. newStore returns a fresh, empty store (migrated or
// not; Run migrates it) and arranges for it to be closed with t.Cleanup.
// Subtests run in parallel, each with its own store, so newStore must be
// safe for concurrent use.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"Migrate", testMigrate},
		{"CreateAndGet", testCreateAndGet},
		{"Duplicate", testDuplicate},
		{"NotFound", testNotFound},
		{"DeleteCascades", testDeleteCascades},
		{"List", testList},
		{"Credentials", testCredentials},
		{"AccountCredentials", testAccountCredentials},
		{"Disable", testDisable},
		{"Unicode", testUnicode},
		{"MultiDomain", testMultiDomain},
		{"RosterRoundTrip", testRosterRoundTrip},
		{"RosterVersion", testRosterVersion},
		{"RosterAbort", testRosterAbort},
		{"RosterNoAccount", testRosterNoAccount},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	tests = append(tests, imTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			if err := s.Migrate(ctx(t)); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tc.fn(t, s)
		})
	}
}

// ctx returns a context that ends with the test or after 20 seconds.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func creds(seed byte) []storage.Credential {
	return []storage.Credential{
		{Hash: "SHA-1", Salt: []byte{seed, 1}, Iterations: 4096, StoredKey: []byte{seed, 2}, ServerKey: []byte{seed, 3}},
		{Hash: "SHA-256", Salt: []byte{seed, 4}, Iterations: 8192, StoredKey: []byte{seed, 5, 0}, ServerKey: []byte{seed, 6}},
	}
}

func mustCreate(t *testing.T, s storage.Store, domain, local string) {
	t.Helper()
	if err := s.CreateAccount(ctx(t), domain, local, creds(1)); err != nil {
		t.Fatalf("CreateAccount(%q, %q): %v", domain, local, err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func testMigrate(t *testing.T, s storage.Store) {
	c := ctx(t)
	applied, available, err := s.MigrationStatus(c)
	if err != nil || available < 1 || applied != available {
		t.Fatalf("MigrationStatus = %d, %d, %v; want applied == available >= 1", applied, available, err)
	}
	if err := s.Migrate(c); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	a2, v2, err := s.MigrationStatus(c)
	if err != nil || a2 != applied || v2 != available {
		t.Fatalf("after second Migrate: %d, %d, %v; want %d, %d", a2, v2, err, applied, available)
	}
	if err := s.Ping(c); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testCreateAndGet(t *testing.T, s storage.Store) {
	before := time.Now().Add(-time.Second)
	mustCreate(t, s, "example.org", "alice")
	a, err := s.Account(ctx(t), "example.org", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if a.Domain != "example.org" || a.Localpart != "alice" || a.Disabled {
		t.Fatalf("Account = %+v", a)
	}
	if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreatedAt = %v, want about now", a.CreatedAt)
	}
}

func testDuplicate(t *testing.T, s storage.Store) {
	mustCreate(t, s, "example.org", "alice")
	err := s.CreateAccount(ctx(t), "example.org", "alice", creds(2))
	wantErr(t, "second CreateAccount", err, storage.ErrConflict)
	got, err := s.Credentials(ctx(t), "example.org", "alice")
	if err != nil || !credsEqual(got, creds(1)) {
		t.Fatalf("credentials changed by failed create: %+v, %v", got, err)
	}
}

func testNotFound(t *testing.T, s storage.Store) {
	c := ctx(t)
	_, err := s.Account(c, "example.org", "nobody")
	wantErr(t, "Account", err, storage.ErrNotFound)
	wantErr(t, "DeleteAccount", s.DeleteAccount(c, "example.org", "nobody"), storage.ErrNotFound)
	wantErr(t, "SetCredentials", s.SetCredentials(c, "example.org", "nobody", creds(1)), storage.ErrNotFound)
	_, err = s.Credentials(c, "example.org", "nobody")
	wantErr(t, "Credentials", err, storage.ErrNotFound)
	_, _, err = s.AccountCredentials(c, "example.org", "nobody")
	wantErr(t, "AccountCredentials", err, storage.ErrNotFound)
	wantErr(t, "SetDisabled", s.SetDisabled(c, "example.org", "nobody", true), storage.ErrNotFound)
	mustCreate(t, s, "example.org", "alice")
	_, err = s.RosterItem(c, "example.org", "alice", "bob@example.org")
	wantErr(t, "RosterItem", err, storage.ErrNotFound)
}

func testDeleteCascades(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	mustCreate(t, s, "example.org", "bob")
	for _, u := range []string{"alice", "bob"} {
		setItem(t, s, "example.org", u, storage.RosterItem{Contact: "carol@example.net", Groups: []string{"G"}})
	}
	if err := s.DeleteAccount(c, "example.org", "alice"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Account(c, "example.org", "alice")
	wantErr(t, "Account after delete", err, storage.ErrNotFound)
	_, err = s.Credentials(c, "example.org", "alice")
	wantErr(t, "Credentials after delete", err, storage.ErrNotFound)
	_, _, err = s.Roster(c, "example.org", "alice")
	wantErr(t, "Roster after delete", err, storage.ErrNotFound)
	// A new account with the same name starts empty.
	mustCreate(t, s, "example.org", "alice")
	items, ver, err := s.Roster(c, "example.org", "alice")
	if err != nil || len(items) != 0 || ver != 0 {
		t.Fatalf("recreated account's roster = %v, %d, %v; want empty, 0", items, ver, err)
	}
	// Bob is untouched.
	items, ver, err = s.Roster(c, "example.org", "bob")
	if err != nil || len(items) != 1 || ver != 1 {
		t.Fatalf("bob's roster = %v, %d, %v", items, ver, err)
	}
}

func testList(t *testing.T, s storage.Store) {
	c := ctx(t)
	empty, err := s.ListAccounts(c, "")
	if err != nil || len(empty) != 0 {
		t.Fatalf("ListAccounts on empty store = %v, %v", empty, err)
	}
	for _, a := range [][2]string{{"b.example", "zed"}, {"a.example", "bob"}, {"b.example", "Amy"},
		{"a.example", "alice"}, {"b.example", "émile"}, {"b.example", "amy"}} {
		mustCreate(t, s, a[0], a[1])
	}
	want := []string{"a.example/alice", "a.example/bob", "b.example/Amy", "b.example/amy",
		"b.example/zed", "b.example/émile"}
	if got := names(t, s, ""); !slices.Equal(got, want) {
		t.Fatalf("ListAccounts(\"\") = %v, want %v (bytewise order)", got, want)
	}
	if got := names(t, s, "a.example"); !slices.Equal(got, want[:2]) {
		t.Fatalf("ListAccounts(a.example) = %v, want %v", got, want[:2])
	}
	if got := names(t, s, "c.example"); len(got) != 0 {
		t.Fatalf("ListAccounts(c.example) = %v, want none", got)
	}
}

func names(t *testing.T, s storage.Store, domain string) []string {
	t.Helper()
	l, err := s.ListAccounts(ctx(t), domain)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range l {
		out = append(out, a.Domain+"/"+a.Localpart)
	}
	return out
}

func credsEqual(a, b []storage.Credential) bool {
	return slices.EqualFunc(a, b, func(x, y storage.Credential) bool {
		return x.Hash == y.Hash && x.Iterations == y.Iterations && slices.Equal(x.Salt, y.Salt) &&
			slices.Equal(x.StoredKey, y.StoredKey) && slices.Equal(x.ServerKey, y.ServerKey)
	})
}

func testCredentials(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	got, err := s.Credentials(c, "example.org", "alice")
	if err != nil || !credsEqual(got, creds(1)) {
		t.Fatalf("Credentials = %+v, %v; want %+v", got, err, creds(1))
	}
	if err := s.SetCredentials(c, "example.org", "alice", creds(9)[1:]); err != nil {
		t.Fatal(err)
	}
	got, err = s.Credentials(c, "example.org", "alice")
	if err != nil || !credsEqual(got, creds(9)[1:]) {
		t.Fatalf("after SetCredentials: %+v, %v; want %+v", got, err, creds(9)[1:])
	}
	if err := s.CreateAccount(c, "example.org", "nocreds", nil); err != nil {
		t.Fatal(err)
	}
	got, err = s.Credentials(c, "example.org", "nocreds")
	if err != nil || len(got) != 0 {
		t.Fatalf("Credentials of account without any = %+v, %v", got, err)
	}
}

// testAccountCredentials checks that AccountCredentials returns what
// Account and Credentials return, together.
func testAccountCredentials(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	if err := s.CreateAccount(c, "example.org", "nocreds", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(c, "example.org", "nocreds", true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		local string
		creds []storage.Credential
	}{{"alice", creds(1)}, {"nocreds", nil}} {
		want, err := s.Account(c, "example.org", tc.local)
		if err != nil {
			t.Fatal(err)
		}
		a, got, err := s.AccountCredentials(c, "example.org", tc.local)
		if err != nil || a != want || !credsEqual(got, tc.creds) {
			t.Fatalf("AccountCredentials(%s) = %+v, %+v, %v; want %+v, %+v", tc.local, a, got, err, want, tc.creds)
		}
	}
	if err := s.DeleteAccount(c, "example.org", "alice"); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.AccountCredentials(c, "example.org", "alice")
	wantErr(t, "AccountCredentials after delete", err, storage.ErrNotFound)
}

func testDisable(t *testing.T, s storage.Store) {
	c := ctx(t)
	mustCreate(t, s, "example.org", "alice")
	for _, d := range []bool{true, true, false} {
		if err := s.SetDisabled(c, "example.org", "alice", d); err != nil {
			t.Fatal(err)
		}
		a, err := s.Account(c, "example.org", "alice")
		if err != nil || a.Disabled != d {
			t.Fatalf("after SetDisabled(%v): %+v, %v", d, a, err)
		}
	}
}
