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
	t.Run("B-221_B-227_B-230_login", func(t *testing.T) {
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
