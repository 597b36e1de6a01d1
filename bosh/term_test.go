package bosh

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stream"
)

func TestTermination(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-160_B-163a_B-165_terminate", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		r := alice.req(4, "", "type='terminate'")
		if !r.isTerm("") || r.hasAttr("condition") {
			t.Fatalf("B-163a: %s", r)
		}
		for _, n := range []int{5, 6, 4} {
			if r := alice.req(n, "", ""); !r.isTerm(condItemNotFound) {
				t.Fatalf("B-165 req(%d): %s", n, r)
			}
		}
	})
	t.Run("B-161_B-164_payloads_delivered", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		alice.req(4, msg(bob.jid, "bye")+"<presence type='unavailable' "+jc+"><status>gone</status></presence>", "type='terminate'")
		n := 4
		if got := bob.collect(&n, 1, 2*time.Second); !slices.Equal(got, []string{"bye"}) {
			t.Fatal(got)
		}
	})
	t.Run("B-162_no_reply_to_terminate_payloads", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		r := alice.req(4, "<iq type='get' id='p' to='example.com' "+jc+"><ping xmlns='urn:xmpp:ping'/></iq>", "type='terminate'")
		if r.root.FindElement("iq") != nil || !r.isTerm("") {
			t.Fatal(r)
		}
	})
	t.Run("B-163b_oldest_gets_terminate", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		r5 := alice.req(5, "", "type='terminate'")
		if !r5.isEmpty() || r5.took > 500*time.Millisecond {
			t.Fatalf("req(5): %s", r5)
		}
		if r := recv(t, r4, 500*time.Millisecond); !r.isTerm("") {
			t.Fatalf("req(4): %s", r)
		}
	})
	t.Run("B-167_resource_unbound", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		alice.req(4, "", "type='terminate'")
		r := bob.req(4, "<iq type='get' id='gone' to='"+alice.jid+"' "+jc+"><ping xmlns='urn:xmpp:ping'/></iq>", "")
		for n := 5; n < 8; n++ {
			if iq := r.root.FindElement("iq[@id='gone']"); iq != nil {
				if iq.SelectAttrValue("type", "") != "error" || iq.FindElement("error/service-unavailable") == nil {
					t.Fatal(r)
				}
				return
			}
			r = bob.req(n, "", "")
		}
		t.Fatal("no error")
	})
	t.Run("B-168_B-186_client_condition", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		alice.req(4, "", "type='terminate' condition='undefined-condition'")
		if h.h.lookup(alice.sid) != nil {
			t.Fatal("alive")
		}
	})
	t.Run("B-169_B-185_kick_with_queued_stanzas", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		bob.req(4, msg(alice.jid, "k1")+msg(alice.jid, "k2"), "")
		eventually(t, time.Second, func() bool { return outCount(h, alice) == 2 }, "queued")
		h.real.Kick(jid.MustParse("alice@example.com"), stream.NewError(stream.Conflict, ""))
		eventually(t, time.Second, func() bool { return finalReady(h, alice) }, "close")
		r := alice.req(4, "", "")
		kids := r.root.ChildElements()
		if !r.isTerm(condRemoteStreamError) || len(kids) != 3 || kids[2].Tag != "error" || kids[2].FindElement("conflict") == nil ||
			!slices.Equal(r.texts(), []string{"k1", "k2"}) {
			t.Fatal(r)
		}
		if r := alice.req(5, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatal(r)
		}
	})
	t.Run("B-170_beacon", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		h.post(alice.body(4, "", "type='terminate'"), "Content-Type", "text/plain;charset=UTF-8", "Origin", "https://app.example")
		if h.h.lookup(alice.sid) != nil {
			t.Fatal("alive")
		}
	})
	t.Run("B-179_other_request", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		if r := h.post(fmt.Sprintf("<body %s rid='%d' sid='%s'><message>", hb, alice.R+5, alice.sid)); !r.isTerm(condBadRequest) {
			t.Fatal(r)
		}
		if r := recv(t, r4, time.Second); !r.isTerm(condOtherRequest) {
			t.Fatal(r)
		}
	})
	t.Run("B-187_B-188_legacy", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("-ver")
		if r := c.req(3, "", ""); r.status != 404 {
			t.Fatal(r)
		}
		if r := c.req(1, "", ""); r.status != 404 {
			t.Fatalf("B-188: %s", r)
		}
		c = h.create("-ver")
		if r := h.post(fmt.Sprintf("<body %s rid='%d' sid='%s'><a>", hb, c.R+1, c.sid)); r.status != 400 {
			t.Fatal(r)
		}
		c = h.create("-ver hold='0'")
		c.req(1, "", "")
		if r := c.req(2, "", ""); r.status != 403 {
			t.Fatal(r)
		}
	})
	t.Run("B-171_B-189_B-192_stanza_errors_are_payloads", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		r := alice.req(4, "<iq type='get' id='x' to='nobody@example.com/none' "+jc+"><ping xmlns='urn:xmpp:ping'/></iq>", "")
		iq := r.root.FindElement("iq[@id='x']")
		if r.status != 200 || r.attr("type") != "" || iq == nil || iq.SelectAttrValue("type", "") != "error" {
			t.Fatal(r)
		}
	})
	t.Run("B-232_B-206_conflict", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		res := alice.jid[len("alice@example.com/"):]
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		again := h.create("")
		again.req(1, h.auth("alice", "secret"), "")
		again.req(2, "", restartAttrs)
		again.req(3, "<iq type='set' id='b' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"+res+"</resource></bind></iq>", "")
		r := recv(t, r4, 2*time.Second)
		kids := r.root.ChildElements()
		if !r.isTerm(condRemoteStreamError) || len(kids) == 0 || kids[len(kids)-1].FindElement("conflict") == nil {
			t.Fatal(r)
		}
	})
	t.Run("B-235_undelivered_iq_bounced", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.Inactivity = time.Second })
		alice := h.login("alice", "")
		bob := h.login("bob", "wait='3'")
		r := bob.req(4, "<iq type='get' id='dead' to='"+alice.jid+"' "+jc+"><ping xmlns='urn:xmpp:ping'/></iq>", "")
		for n := 5; n < 8; n++ {
			if iq := r.root.FindElement("iq[@id='dead']"); iq != nil {
				if iq.SelectAttrValue("type", "") != "error" || iq.FindElement("error/service-unavailable") == nil {
					t.Fatal(r)
				}
				return
			}
			r = bob.req(n, "", "")
		}
		t.Fatal("no error for the undelivered IQ")
	})
}

// outCount drains c's core output into the binding and counts it.
func outCount(h *harness, c *client) int {
	s := h.h.lookup(c.sid)
	if s == nil {
		return -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out = s.core.Drain(s.out)
	return len(s.out)
}

// finalReady reports that a close by the core waits for c's next request.
func finalReady(h *harness, c *client) bool {
	s := h.h.lookup(c.sid)
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final != nil
}

func TestB183_Shutdown(t *testing.T) {
	t.Parallel()
	// B-183
	h := newHarness(t)
	alice := h.login("alice", "wait='5'")
	r4 := alice.async(4, "", "")
	eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := h.h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, r4, time.Second); !r.isTerm(condSystemShutdown) {
		t.Fatal(r)
	}
	if r := h.post(createBody(nextR(), "")); !r.isTerm(condSystemShutdown) {
		t.Fatal(r)
	}
}

func TestB174_HostGone(t *testing.T) {
	t.Parallel()
	// B-174: a domain no longer served ends its sessions with host-gone.
	h := newHarness(t)
	org := h.create("to='example.org' wait='3'")
	com := h.create("wait='3'")
	held := org.async(1, "", "")
	eventually(t, time.Second, func() bool { return heldCount(h, org) == 1 }, "held")
	if n := h.h.HostGone("example.org"); n != 1 {
		t.Fatalf("%d sessions ended", n)
	}
	if r := recv(t, held, time.Second); !r.isTerm(condHostGone) {
		t.Fatal(r)
	}
	if r := com.req(1, "", "pause='5'"); !r.isEmpty() {
		t.Fatal(r)
	}
}
