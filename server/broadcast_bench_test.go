package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
)

// fanOut logs in 100 available sessions of bob and returns them.
func fanOut(b *testing.B, c *Core) []*client {
	b.Helper()
	var out []*client
	for i := range 100 {
		cl := login(b, c, "bob", "b", fmt.Sprintf("r%d", i))
		cl.s.SetPresence(true, 0)
		out = append(out, cl)
	}
	return out
}

// drainAll empties every recipient's out-queue, as transports would.
func drainAll(cs []*client) {
	for _, cl := range cs {
		cl.s.Drain(nil)
	}
}

// BenchmarkBroadcast100 measures presence-like fan-out to 100 sessions:
// one stanza routed to 100 recipients. "bare" is the router's own bare
// JID delivery (RFC 6121 §8.5.2.1, directed presence to a bare JID);
// "restamp" is what the presence module does per contact: a clone
// re-stamped with the recipient's full JID, routed one by one.
func BenchmarkBroadcast100(b *testing.B) {
	c := newCore(b, Options{OutQueue: 1 << 20}, users())
	a := login(b, c, "alice", "a", "pc")
	rcpts := fanOut(b, c)
	if got := len(c.Router().Available(jid.MustParse("bob@localhost"), false)); got != 100 {
		b.Fatalf("%d available sessions, want 100", got)
	}
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		el := elem(b, "<presence to='bob@localhost'><show>away</show><status>lunch</status></presence>")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			st, _ := stanza.Parse(el.Copy())
			if err := c.Router().Route(ctx, a.s, st); err != nil {
				b.Fatal(err)
			}
			if i%64 == 63 {
				drainAll(rcpts)
			}
		}
	})
	b.Run("restamp", func(b *testing.B) {
		st := stanza.NewPresence("", a.s.JID(), jid.JID{})
		st.El.CreateElement("show").SetText("away")
		targets := make([]jid.JID, len(rcpts))
		for i, r := range rcpts {
			targets[i] = r.s.JID()
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			for _, to := range targets {
				c.Router().Deliver(ctx, st.Restamp(st.From, to))
			}
			if i%64 == 63 {
				drainAll(rcpts)
			}
		}
	})
}
