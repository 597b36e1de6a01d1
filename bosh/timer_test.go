package bosh

import (
	"slices"
	"testing"
	"time"
)

// gone waits until c's session has ended and returns when it did.
func gone(t *testing.T, h *harness, c *client, within time.Duration) time.Time {
	t.Helper()
	eventually(t, within, func() bool { return h.h.lookup(c.sid) == nil }, "session end")
	return time.Now()
}

func TestInactivity(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Inactivity = time.Second; c.MaxPause = 3 * time.Second })
	t.Run("B-101_B-102_B-107_idle_session_ends", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='1'")
		alice.req(4, "", "")
		last := time.Now()
		ended := gone(t, h, alice, 4*time.Second)
		if d := ended.Sub(last); d < 900*time.Millisecond || d > 3*time.Second {
			t.Fatalf("ended after %v", d)
		}
		if h.real.Registry() != nil && h.real.SessionCount() > 1 {
			t.Logf("core sessions: %d", h.real.SessionCount())
		}
		if r := alice.req(5, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
	})
	t.Run("B-103_no_inactivity_while_held", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r := alice.req(4, "", "")
		if !r.isEmpty() || r.took < 2900*time.Millisecond {
			t.Fatalf("%s after %v", r, r.took)
		}
		if r := alice.req(5, "", "pause='3'"); !r.isEmpty() {
			t.Fatal(r)
		}
	})
	t.Run("B-111_B-112_pause_answers_all", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		r5 := alice.req(5, "", "pause='2'")
		if !r5.isEmpty() || r5.took > 500*time.Millisecond {
			t.Fatal(r5)
		}
		if r := recv(t, r4, 500*time.Millisecond); r.status != 200 || r.attr("type") != "" {
			t.Fatal(r)
		}
	})
	t.Run("B-113_B-116_B-118_pause_extends", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='1'")
		bob := h.login("bob", "")
		alice.req(4, "", "pause='3'")
		start := time.Now()
		bob.async(4, msg(alice.jid, "p1")+msg(alice.jid, "p2"), "")
		wait(time.Until(start.Add(1500 * time.Millisecond))) // past inactivity (1 s), within the pause
		if h.h.lookup(alice.sid) == nil {
			t.Fatal("ended during the pause", h.h.Stats().Terminations())
		}
		if r := alice.req(5, "", ""); !slices.Equal(r.texts(), []string{"p1", "p2"}) || r.took > 500*time.Millisecond {
			t.Fatalf("B-118: %s", r)
		}
		// B-116: the normal period applies again from the next request.
		start = time.Now()
		if d := gone(t, h, alice, 4*time.Second).Sub(start); d > 2500*time.Millisecond {
			t.Fatalf("B-116: ended after %v", d)
		}
	})
	t.Run("B-114_short_pause", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.Inactivity = 3 * time.Second })
		alice := h.login("alice", "wait='1'")
		start := time.Now()
		alice.req(4, "", "pause='1'")
		if d := gone(t, h, alice, 3*time.Second).Sub(start); d > 2500*time.Millisecond {
			t.Fatalf("ended after %v", d)
		}
	})
	t.Run("B-117_pause_capped", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='1'")
		start := time.Now()
		if r := alice.req(4, "", "pause='9999'"); !r.isEmpty() || r.took > 500*time.Millisecond {
			t.Fatal(r)
		}
		d := gone(t, h, alice, 6*time.Second).Sub(start)
		if d < 2500*time.Millisecond || d > 5*time.Second {
			t.Fatalf("ended after %v (maxpause 3 s)", d)
		}
	})
	t.Run("B-110_pause_disabled", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.MaxPause = 0 })
		alice := h.login("alice", "wait='1'")
		if alice.cr.hasAttr("maxpause") {
			t.Fatal(alice.cr)
		}
		if r := alice.req(4, "", "pause='10'"); !r.isEmpty() || r.took < 900*time.Millisecond {
			t.Fatalf("%s after %v", r, r.took)
		}
	})
}
