package bosh

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestRIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-062_B-067_out_of_order", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		bobCh := bob.async(4, "", "")
		r5 := alice.async(5, msg(bob.jid, "two"), "")
		if !stillHeld(bobCh, 300*time.Millisecond) {
			t.Fatal("bob got something before req(4)")
		}
		r4 := alice.async(4, msg(bob.jid, "one"), "")
		got := recv(t, bobCh, 3*time.Second).texts()
		n := 5
		got = append(got, bob.collect(&n, 2-len(got), 3*time.Second)...)
		if !slices.Equal(got, []string{"one", "two"}) {
			t.Fatalf("bob got %v", got)
		}
		a4, a5 := recv(t, r4, 3*time.Second), recv(t, r5, 3*time.Second)
		if a4.status != 200 || a5.status != 200 || a4.attr("type") != "" || a5.attr("type") != "" {
			t.Fatalf("%s / %s", a4, a5)
		}
	})
	t.Run("B-067_B-065_gap_never_filled", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.Polling = time.Second })
		c := h.login("alice", "")
		r := c.req(5, "", "")
		if !r.isTerm(condItemNotFound) || r.took < 800*time.Millisecond || r.took > 2500*time.Millisecond {
			t.Fatalf("%s after %v", r, r.took)
		}
	})
	t.Run("B-063_responses_in_order", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "hold='2' wait='2'")
		bob := h.login("bob", "")
		r4 := alice.async(4, "", "")
		r5 := alice.async(5, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 2 }, "two held")
		bob.req(4, msg(alice.jid, "hi"), "")
		a4 := recv(t, r4, 3*time.Second)
		if !slices.Equal(a4.texts(), []string{"hi"}) {
			t.Fatalf("req(4) got %s", a4)
		}
		if !stillHeld(r5, 200*time.Millisecond) {
			t.Fatal("req(5) answered too")
		}
	})
	t.Run("B-066_B-075_B-178_out_of_window", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		a := c.req(3, "", "")
		if !a.isTerm(condItemNotFound) {
			t.Fatal(a)
		}
		if r := c.req(1, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
		c2 := h.create("")
		b := c2.h.post(fmt.Sprintf("<body %s rid='%d' sid='%s'/>", hb, c2.R-1000, c2.sid))
		if a.status != b.status || !bytes.Equal(a.raw, b.raw) {
			t.Fatalf("B-075: %s vs %s", a, b)
		}
	})
	t.Run("B-068_large_rids", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.Polling = time.Nanosecond })
		for _, start := range []uint64{9007199254740980, 9007199254740993} {
			r := h.post(createBody(start, "hold='0'"))
			c := &client{h: h, sid: r.attr("sid"), R: start}
			if c.sid == "" {
				t.Fatal(r)
			}
			steps := 11
			if start > 9007199254740990 {
				steps = 1
			}
			for i := 1; i <= steps; i++ {
				if r := c.req(i, "", ""); r.attr("type") != "" {
					t.Fatalf("rid %d: %s", start+uint64(i), r)
				}
			}
		}
	})
	t.Run("B-069_B-070_B-074_cache", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		r4ch := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		bob.req(4, msg(alice.jid, "x"), "")
		x4 := recv(t, r4ch, 3*time.Second)
		if !slices.Equal(x4.texts(), []string{"x"}) {
			t.Fatal(x4)
		}
		if again := alice.req(4, "", ""); !bytes.Equal(again.raw, x4.raw) {
			t.Fatalf("B-070: %s vs %s", again, x4)
		}
		x5 := alice.req(5, msg(bob.jid, "once"), "")
		if again := alice.req(5, msg(bob.jid, "once"), ""); !bytes.Equal(again.raw, x5.raw) {
			t.Fatalf("B-069: %s", again)
		}
		if again := alice.req(4, "", ""); !bytes.Equal(again.raw, x4.raw) {
			t.Fatalf("B-069 req(4): %s", again)
		}
		n := 5
		if got := bob.collect(&n, 2, 2100*time.Millisecond); !slices.Equal(got, []string{"once"}) {
			t.Fatalf("B-070: bob got %v", got)
		}
		alice.req(6, "", "pause='10'") // answered at once
		alice.req(7, msg(bob.jid, "7"), "")
		if r := alice.req(4, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatalf("B-074: %s", r)
		}
	})
	t.Run("B-071_B-077_B-190_B-191_repeat_while_held", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		c1 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		c2 := alice.async(4, "", "")
		r1 := recv(t, c1, 500*time.Millisecond)
		if r1.attr("type") != "error" || len(r1.root.ChildElements()) != 0 {
			t.Fatalf("older copy: %s", r1)
		}
		r2 := recv(t, c2, 3*time.Second)
		if !r2.isEmpty() {
			t.Fatalf("newer copy: %s", r2)
		}
		if r := alice.req(4, "", ""); !bytes.Equal(r.raw, r2.raw) {
			t.Fatalf("B-077 resend: %s", r)
		}
		if r := alice.req(5, "", "pause='10'"); r.status != 200 || r.attr("type") != "" {
			t.Fatalf("B-190: %s", r)
		}
	})
	t.Run("B-072_B-073_too_many_repeats", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		var chans []<-chan *result
		for range 10 {
			chans = append(chans, alice.async(4, "", ""))
		}
		found := false
		for _, ch := range chans {
			if r := recv(t, ch, 3*time.Second); r.isTerm(condPolicyViolation) {
				found = true
			}
		}
		if !found {
			t.Fatal("no policy-violation")
		}
		if r := alice.req(5, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatalf("session alive: %s", r)
		}
	})
	t.Run("B-076_repeated_pause", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		if r := alice.req(4, "", "pause='10'"); !r.isEmpty() {
			t.Fatal(r)
		}
		if r := alice.req(4, "", "pause='10'"); !r.isEmpty() {
			t.Fatal(r)
		}
		if r := alice.req(5, msg(alice.jid, "self"), ""); r.status != 200 || r.attr("type") != "" {
			t.Fatal(r)
		}
	})
}

// heldCount returns how many requests c's session holds.
func heldCount(h *harness, c *client) int {
	s := h.h.lookup(c.sid)
	if s == nil {
		return -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveHeld() + len(s.pending)
}
