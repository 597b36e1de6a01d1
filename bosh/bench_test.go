package bosh

import (
	"strings"
	"testing"
)

// BenchmarkMessageCycle measures one message from a BOSH user to another
// through the real handler and the real session core over loopback HTTP:
// alice's request carrying the message and bob's request that fetches it,
// both answered at once (hold='0', polling limits off), so that the figure
// is the cost of two complete request/response cycles and the routing.
func BenchmarkMessageCycle(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.Polling = 0 })
	alice := h.login("alice", "hold='0'")
	bob := h.login("bob", "hold='0'")
	n := 4
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if r := alice.req(n, msg(bob.jid, "ping"), ""); r.status != 200 || r.attr("type") == "terminate" {
			b.Fatalf("send: %s", r)
		}
		r := bob.req(n, "", "")
		if r.status != 200 || !strings.Contains(string(r.raw), "<body>ping</body>") {
			b.Fatalf("fetch: %s", r)
		}
		n++
	}
}

// BenchmarkParseBody: a request body with one chat message through the
// fast path and through the stream decoder.
func BenchmarkParseBody(b *testing.B) {
	raw := []byte("<body rid='1000001' sid='abcdefghijklmnopqrstuv' xmlns='http://jabber.org/protocol/httpbind'>" +
		"<message xmlns='jabber:client' type='chat' to='bob@localhost' id='m1'><body>hello there</body></message></body>")
	for _, c := range []struct {
		name  string
		parse func([]byte) (*reqBody, error)
	}{{"fast", parseBody}, {"decoder", parseFullBody}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if body, err := c.parse(raw); err != nil || len(body.children) != 1 {
					b.Fatal(err)
				}
			}
		})
	}
}
