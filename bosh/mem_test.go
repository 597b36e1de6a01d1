package bosh

import (
	"runtime"
	"testing"

	"github.com/parley-xmpp/parley/server"
	"github.com/rs/zerolog"
)

// TestIdleSessionMemory keeps the binding's share of an idle session
// small (the performance target is 12 KB RSS per idle session overall).
func TestIdleSessionMemory(t *testing.T) {
	m := newManager(testConfig().withDefaults(), newFakeCore(), zerolog.Nop())
	defer m.wheel.close()
	const n = 2000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		R := uint64(1000 + i*10)
		b, _ := parseBody([]byte(createBody(R, "")))
		if r := m.create(b, R, server.TransportInfo{Kind: "bosh"}, false, "ip"); r.final {
			t.Fatal(string(r.body))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / n
	t.Logf("%d bytes of heap per idle session (binding and stand-in core)", per)
	if per > 6<<10 {
		t.Errorf("%d bytes per idle session", per)
	}
}
