package presence_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

// BenchmarkBroadcast100 measures a presence update of a user whose 100
// contacts (mutual subscriptions) are all online: the roster read, one
// presence to each contact and the queueing into their sessions
// (RFC 6121 §4.4.2), with the real core and SQLite storage.
func BenchmarkBroadcast100(b *testing.B) {
	const contacts = 100
	users := []string{"user"}
	for i := range contacts {
		users = append(users, fmt.Sprintf("c%d", i))
	}
	core := imtest.Core(b, users...)
	rs := roster.New(core, roster.Options{})
	rs.Register()
	presence.New(core, rs).Register()
	ctx := context.Background()
	both := func(cur *storage.RosterItem) (*storage.RosterItem, error) {
		return &storage.RosterItem{Subscription: storage.SubBoth}, nil
	}
	for _, c := range users[1:] {
		if _, _, err := core.Store().UpdateRosterItem(ctx, "localhost", "user", c+"@localhost", both); err != nil {
			b.Fatal(err)
		}
		if _, _, err := core.Store().UpdateRosterItem(ctx, "localhost", c, "user@localhost", both); err != nil {
			b.Fatal(err)
		}
	}
	var peers []*imtest.Client
	for _, c := range users[1:] {
		p := imtest.Login(b, core, c, "r")
		p.Send(`<presence/>`)
		p.Drain()
		peers = append(peers, p)
	}
	u := imtest.Login(b, core, "user", "r")
	u.Send(`<presence/>`)
	u.Drain()
	for _, p := range peers {
		p.Drain()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		u.Send(fmt.Sprintf(`<presence><status>%d</status></presence>`, i))
		for _, p := range peers {
			if got := p.Drain(); len(got) != 1 {
				b.Fatalf("contact got %d stanzas", len(got))
			}
		}
		u.Drain()
	}
}
