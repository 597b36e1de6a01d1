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
