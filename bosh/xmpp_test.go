package bosh

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestXMPPFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-221_B-227_B-230_B-060_login", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		r := c.req(1, h.auth("alice", "secret"), "")
		if r.root.FindElement("success") == nil || len(r.root.ChildElements()) != 1 {
			t.Fatalf("auth: %s", r)
		}
		r = c.req(2, "", restartAttrs)
		if r.took > 500*time.Millisecond || r.root.FindElement("features/bind") == nil || r.root.FindElement("features/mechanisms") != nil {
			t.Fatalf("B-227 restart: %s", r)
		}
		if !strings.Contains(string(r.raw), "xmlns:stream='"+nsStream+"'") {
			t.Errorf("B-205: %s", r.raw)
		}
		r = c.req(3, "<iq type='set' id='b1' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>httpclient</resource></bind></iq>", "")
		if j := r.root.FindElement("iq/bind/jid"); j == nil || j.Text() != "alice@example.com/httpclient" {
			t.Fatalf("B-230 bind: %s", r)
		}
	})
	t.Run("B-207_B-208_message_exchange", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		bobCh := bob.async(4, "", "")
		r := alice.req(4, "<message to='"+bob.jid+"'><body>a</body></message>", "")
		_ = r
		got := recv(t, bobCh, 3*time.Second)
		if !slices.Equal(got.texts(), []string{"a"}) {
			t.Fatalf("B-207: bob got %s", got)
		}
		if !strings.Contains(string(got.raw), "<message xmlns='jabber:client'") {
			t.Errorf("B-208: %s", got.raw)
		}
		alice.req(5, msg(bob.jid, "b"), "")
		n := 5
		if got := bob.collect(&n, 1, 3*time.Second); !slices.Equal(got, []string{"b"}) {
			t.Fatalf("bob got %v", got)
		}
	})
	t.Run("B-223_stanza_before_auth", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		r := c.req(1, msg("bob@example.com/r", "x"), "")
		if !r.isTerm(condRemoteStreamError) || r.root.FindElement("error/not-authorized") == nil {
			t.Fatalf("%s", r)
		}
	})
}

func TestXEP0206(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	authed := func(h *harness) *client {
		c := h.create("")
		if r := c.req(1, h.auth("alice", "secret"), ""); r.root.FindElement("success") == nil {
			h.t.Fatal(r)
		}
		return c
	}
	t.Run("B-204_one_kind_per_body", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := authed(h)
		r := c.req(2, "", restartAttrs)
		if len(r.root.ChildElements()) != 1 {
			t.Fatal(r)
		}
	})
	t.Run("B-209_B-216_B-218_B-219_B-220_features", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		f := c.cr.root.FindElement("features")
		if f == nil || f.FindElement("starttls") != nil || f.FindElement("compression") != nil {
			t.Fatal(c.cr)
		}
		for _, m := range f.FindElements("mechanisms/mechanism") {
			if m.Text() == "EXTERNAL" {
				t.Fatal("B-219: EXTERNAL offered")
			}
		}
		r := c.req(1, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "")
		if r.attr("type") != "terminate" || r.root.FindElement("failure") == nil {
			t.Fatalf("B-209: %s", r)
		}
	})
	t.Run("B-213_no_stream_tag", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		if r := c.req(1, "<stream:stream to='example.com' xmlns:stream='"+nsStream+"'>", ""); !r.isTerm(condBadRequest) {
			t.Fatal(r)
		}
	})
	t.Run("B-222_sasl_retries", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		for n := 1; n <= 2; n++ {
			r := c.req(n, h.auth("alice", "wrong"), "")
			if r.root.FindElement("failure/not-authorized") == nil || r.attr("type") != "" {
				t.Fatalf("attempt %d: %s", n, r)
			}
		}
		if r := c.req(3, h.auth("alice", "secret"), ""); r.root.FindElement("success") == nil {
			t.Fatal(r)
		}
		c = h.create("")
		var r *result
		for n := 1; n <= 3; n++ {
			r = c.req(n, h.auth("alice", "wrong"), "")
		}
		if !r.isTerm(condRemoteStreamError) {
			t.Fatalf("limit: %s", r)
		}
	})
	t.Run("B-224_no_restart", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := authed(h)
		r := c.req(2, "<iq type='set' id='b' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", "")
		if !r.isTerm(condRemoteStreamError) || r.root.FindElement("error/not-authorized") == nil {
			t.Fatal(r)
		}
	})
	t.Run("B-225_B-226_restart_attribute", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, a := range []string{"xmlns:x='urn:xmpp:xbosh' x:restart='true'", xb + " xmpp:restart='1'"} {
			c := authed(h)
			if r := c.req(2, "", a); r.root.FindElement("features/bind") == nil {
				t.Fatalf("%s: %s", a, r)
			}
		}
		for _, a := range []string{"restart='true'", xb + " xmpp:restart='0'"} {
			c := authed(h)
			if r := c.req(2, "", a); !r.isEmpty() || r.took < 900*time.Millisecond {
				t.Fatalf("%s: %s", a, r)
			}
		}
	})
	t.Run("B-228_restart_payload_ignored", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		bob := h.login("bob", "")
		c := authed(h)
		if r := c.req(2, msg(bob.jid, "x"), restartAttrs); r.root.FindElement("features") == nil {
			t.Fatal(r)
		}
		n := 4
		if got := bob.collect(&n, 1, 1100*time.Millisecond); len(got) != 0 {
			t.Fatal(got)
		}
	})
	t.Run("B-229_restart_attributes", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, a := range []string{xb + " xmpp:restart='true'", xb + " xmpp:restart='true' to='other.example'"} {
			c := authed(h)
			if r := c.req(2, "", a); r.root.FindElement("features/bind") == nil {
				t.Fatalf("%s: %s", a, r)
			}
		}
	})
	t.Run("B-230_B-231_bind_and_session", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := authed(h)
		r := c.req(2, "", restartAttrs)
		if r.root.FindElement("features/session/optional") == nil {
			t.Logf("B-231: no optional session feature: %s", r)
		}
		r = c.req(3, "<iq type='set' id='b' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>", "")
		j := r.root.FindElement("iq/bind/jid")
		if j == nil || !strings.HasPrefix(j.Text(), "alice@example.com/") || len(j.Text()) <= len("alice@example.com/") {
			t.Fatal(r)
		}
		r = c.req(4, "<iq type='set' id='s1' "+jc+"><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>", "")
		if iq := r.root.FindElement("iq[@id='s1']"); iq == nil || iq.SelectAttrValue("type", "") != "result" {
			t.Fatalf("B-231: %s", r)
		}
	})
	t.Run("B-254_B-240_B-241_B-242_plain_only_secure", func(t *testing.T) {
		t.Parallel()
		c := newRealCoreOpts(t, true)
		sh := startHarness(t, ServerCore(c), []func(*Config){func(c *Config) { c.TrustedProxies = []string{"127.0.0.1"} }}, &harness{real: c})
		plain := sh.create("")
		secure := sh.sub(t)
		secure.hdrs = []string{"X-Forwarded-Proto", "https"}
		sec := secure.create("")
		has := func(r *result) bool {
			for _, m := range r.root.FindElements("features/mechanisms/mechanism") {
				if m.Text() == "PLAIN" {
					return true
				}
			}
			return false
		}
		if has(plain.cr) || !has(sec.cr) {
			t.Fatalf("%s\n%s", plain.cr, sec.cr)
		}
		// B-241, B-242: a secure session refuses plain requests, and lives.
		if r := sh.post(sec.body(1, "", "")); r.status != 400 {
			t.Fatal(r)
		}
		if r := sec.req(1, "", "pause='5'"); !r.isEmpty() {
			t.Fatal(r)
		}
	})
}

func TestStreamAttributes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-025_lang", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "xml:lang='de'")
		bob := h.login("bob", "")
		alice.req(4, msg(bob.jid, "hallo"), "")
		n := 4
		for range 3 {
			r := bob.req(n, "", "")
			n++
			if m := r.root.FindElement("message"); m != nil {
				if m.SelectAttrValue("xml:lang", "") != "de" {
					t.Errorf("B-025: message without xml:lang='de': %s", r.raw)
				}
				return
			}
		}
		t.Fatal("no message")
	})
	t.Run("B-036_from_is_not_identity", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "from='admin@example.com'")
		if !strings.HasPrefix(alice.jid, "alice@example.com/") {
			t.Fatal(alice.jid)
		}
	})
	t.Run("B-064_forwarded_at_once", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		bob := h.login("bob", "wait='3'")
		b4 := bob.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, bob) == 1 }, "held")
		a4 := alice.async(4, msg(bob.jid, "fast"), "")
		if r := recv(t, b4, time.Second); !slices.Equal(r.texts(), []string{"fast"}) {
			t.Fatal(r)
		}
		if !stillHeld(a4, 200*time.Millisecond) {
			t.Fatal("req(4) not held")
		}
	})
}
