package bosh

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestAcks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fast := newHarness(t, func(c *Config) { c.Polling = time.Nanosecond })
	t.Run("B-119_B-120_ack_on_early_answer", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "ack='1' wait='2'")
		bob := h.login("bob", "")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		alice.async(5, msg(bob.jid, "m"), "")
		if r := recv(t, r4, time.Second); r.attr("ack") != itoa(alice.R+5) {
			t.Fatalf("%s", r)
		}
	})
	t.Run("B-121_no_ack_without_ack_session", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='2'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		alice.async(5, "<presence "+jc+"/>", "")
		if r := recv(t, r4, time.Second); r.hasAttr("ack") {
			t.Fatal(r)
		}
	})
	t.Run("B-122_B-123_no_ack_when_equal", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "ack='1'")
		if r := alice.req(4, "", ""); r.hasAttr("ack") {
			t.Fatalf("B-122: %s", r)
		}
		r5 := alice.async(5, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		alice.async(7, "", "")
		if r := recv(t, r5, 2*time.Second); r.hasAttr("ack") {
			t.Fatalf("B-123: %s", r)
		}
	})
	t.Run("B-124_B-125_B-126_client_acks", func(t *testing.T) {
		t.Parallel()
		h := fast.sub(t)
		alice := h.login("alice", "ack='1' hold='0'")
		x4 := alice.req(4, "", "")
		ack := "ack='" + itoa(alice.R+3) + "'"
		for n := 5; n <= 7; n++ {
			alice.req(n, "", ack)
		}
		if r := alice.req(4, "", ""); !bytes.Equal(r.raw, x4.raw) {
			t.Fatalf("B-125: %s", r)
		}
		alice.req(8, "", "")
		if r := alice.req(4, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatalf("B-126: %s", r)
		}
	})
	t.Run("B-127_B-128_B-129_report", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "ack='1' wait='3'")
		bob := h.login("bob", "")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		bob.async(4, msg(alice.jid, "lost"), "")
		x4 := recv(t, r4, time.Second)
		t1 := time.Now()
		wait(1200 * time.Millisecond)
		r := alice.req(5, "", "ack='"+itoa(alice.R+3)+"'")
		ms, _ := strconv.Atoi(r.attr("time"))
		if r.took > 500*time.Millisecond || r.attr("report") != itoa(alice.R+4) ||
			ms < 1100 || ms > int(time.Since(t1).Milliseconds())+100 {
			t.Fatalf("%s after %v", r, r.took)
		}
		if len(r.root.Attr) != 3 || len(r.root.ChildElements()) != 0 {
			t.Fatalf("B-129: %s", r)
		}
		if again := alice.req(4, "", ""); !bytes.Equal(again.raw, x4.raw) || !slices.Equal(again.texts(), []string{"lost"}) {
			t.Fatalf("resend: %s", again)
		}
	})
}

// Key chain vectors of bosh-requirements §9 (seed "bosh-test-seed").
var keyK = []string{"",
	"e509dc2b2747d7f6100e2e059ad91a329fe77181",
	"dec2904f0f062f4eca2c5d367dc868c3bfeb90bd",
	"d583ba24c90d5c3eef28735c57d66a45088c32ca",
	"fefc2c752d1877c017d18be8c47220d506f95eac",
	"82b1343a98663be362661e701ac38a9897ed0c0a",
}

func TestKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Polling = time.Nanosecond })
	ok := func(t *testing.T, r *result) {
		t.Helper()
		if r.status != 200 || r.attr("type") != "" {
			t.Fatal(r)
		}
	}
	key := func(k string) string { return "key='" + k + "'" }
	t.Run("B-131_no_keys", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0'")
		ok(t, c.req(1, "", ""))
	})
	t.Run("B-132_spec_vectors", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='ca393b51b682f61f98e7877d61146407f3d0a770'")
		ok(t, c.req(1, "", key("bfb06a6f113cd6fd3838ab9d300fdb4fe3da2f7d")))
		ok(t, c.req(2, "", key("6f825e81f4532b2c5fa2d12457d8a1f22e8f838e")+" newkey='113f58a37245ec9637266cf2fb6e48bfeaf7964e'"))
	})
	t.Run("B-132_B-133_logged_in_chain", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		bob := h.login("bob", "")
		c := h.create("newkey='" + keyK[5] + "'")
		ok(t, c.req(1, h.auth("alice", "secret"), key(keyK[4])))
		ok(t, c.req(2, "", restartAttrs+" "+key(keyK[3])))
		ok(t, c.req(3, "<iq type='set' id='b' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", key(keyK[2])))
		c.req(4, msg(bob.jid, "keyed"), key(keyK[1]))
		n := 4
		if got := bob.collect(&n, 1, 2*time.Second); !slices.Equal(got, []string{"keyed"}) {
			t.Fatal(got)
		}
		if r := c.req(5, msg(bob.jid, "forged"), key("0000000000000000000000000000000000000000")); !r.isTerm(condItemNotFound) {
			t.Fatalf("B-133: %s", r)
		}
		if got := bob.collect(&n, 1, 1100*time.Millisecond); len(got) != 0 {
			t.Fatal(got)
		}
		if h.h.lookup(c.sid) != nil {
			t.Fatal("session alive")
		}
	})
	t.Run("B-134_missing_key", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='" + keyK[5] + "'")
		if r := c.req(1, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
	})
	t.Run("B-135_case", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='82B1343A98663BE362661E701AC38A9897ED0C0A'")
		ok(t, c.req(1, "", key(keyK[4])))
	})
	t.Run("B-136_new_sequence", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='" + keyK[5] + "'")
		for i := 1; i <= 3; i++ {
			ok(t, c.req(i, "", key(keyK[5-i])))
		}
		ok(t, c.req(4, "", key(keyK[1])+" newkey='ca393b51b682f61f98e7877d61146407f3d0a770'"))
		ok(t, c.req(5, "", key("bfb06a6f113cd6fd3838ab9d300fdb4fe3da2f7d")))
		if r := c.req(6, "", key(keyK[1])); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
	})
	t.Run("B-137_resend_not_rechecked", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='" + keyK[5] + "'")
		first := c.req(1, "", key(keyK[4]))
		if again := c.req(1, "", key(keyK[4])); !bytes.Equal(again.raw, first.raw) {
			t.Fatal(again)
		}
		ok(t, c.req(2, "", key(keyK[3])))
	})
	t.Run("B-138_rid_order", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("newkey='" + keyK[5] + "'")
		r2 := c.async(2, "", key(keyK[3]))
		eventually(t, time.Second, func() bool { return heldCount(h, c) == 1 }, "queued")
		ok(t, c.req(1, "", key(keyK[4])))
		ok(t, recv(t, r2, 2*time.Second))
	})
	t.Run("B-139_not_hex", func(t *testing.T) {
		t.Parallel()
		c := h.sub(t).create("hold='0' newkey='" + keyK[5] + "'")
		if r := c.req(1, "", key("xyz")); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
	})
}

func TestB125_UnackedLimit(t *testing.T) {
	t.Parallel()
	// B-125: at most MaxUnacked unacknowledged responses.
	h := newHarness(t, func(c *Config) { c.MaxUnacked = 3; c.Polling = time.Nanosecond })
	c := h.create("ack='1' hold='0'")
	stale := "ack='" + itoa(c.R) + "'"
	var last *result
	for n := 1; n <= 4; n++ {
		last = c.req(n, "", stale)
	}
	if h.h.lookup(c.sid) != nil {
		t.Fatalf("session alive after %s", last)
	}
}

func TestB251_AuthTimeout(t *testing.T) {
	t.Parallel()
	// B-251: unauthenticated sessions expire.
	h := newHarness(t, func(c *Config) { c.AuthTimeout = time.Second })
	c := h.create("wait='3'")
	r := c.req(1, "", "")
	if !r.isTerm(condRemoteStreamError) || r.root.FindElement("error/connection-timeout") == nil || r.took > 2500*time.Millisecond {
		t.Fatalf("%s after %v", r, r.took)
	}
	a := h.login("alice", "wait='1'")
	wait(1200 * time.Millisecond)
	if r := a.req(4, "", "pause='5'"); !r.isEmpty() {
		t.Fatalf("authenticated session: %s", r)
	}
}
