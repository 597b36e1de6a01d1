package bosh

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestLongPolling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Polling = 300 * time.Millisecond })
	t.Run("B-079_B-083_answer_on_data", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='5'")
		bob := h.login("bob", "")
		ch := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		sent := time.Now()
		bob.req(4, msg(alice.jid, "now"), "")
		r := recv(t, ch, 2*time.Second)
		if !slices.Equal(r.texts(), []string{"now"}) || time.Since(sent) > 1100*time.Millisecond {
			t.Fatalf("%s after %v", r, time.Since(sent))
		}
	})
	t.Run("B-080_B-082_B-084_B-088_B-078_wait", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='1'")
		r := alice.req(4, "", "")
		if !r.isEmpty() || r.took < 900*time.Millisecond || r.took > 1600*time.Millisecond {
			t.Fatalf("%s after %v", r, r.took)
		}
		r = alice.req(5, "<presence "+jc+"/>", "")
		if r.attr("type") != "" || r.took < 900*time.Millisecond || r.took > 1600*time.Millisecond {
			t.Fatalf("B-084: %s after %v", r, r.took)
		}
	})
	t.Run("B-081_hold_exceeded", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r4 := alice.async(4, "", "")
		if !stillHeld(r4, 400*time.Millisecond) {
			t.Fatal("req(4) answered")
		}
		r5 := alice.async(5, "", "")
		if r := recv(t, r4, 500*time.Millisecond); !r.isEmpty() {
			t.Fatal(r)
		}
		if !stillHeld(r5, 200*time.Millisecond) {
			t.Fatal("req(5) answered")
		}
		two := h.login("alice", "hold='2' wait='3'")
		a := two.async(4, "", "")
		if !stillHeld(a, 400*time.Millisecond) {
			t.Fatal("hold=2 req(4)")
		}
		b := two.async(5, "", "")
		if !stillHeld(b, 400*time.Millisecond) || !stillHeld(a, 0) {
			t.Fatal("hold=2 req(5)")
		}
		c := two.async(6, "", "")
		if r := recv(t, a, 500*time.Millisecond); !r.isEmpty() {
			t.Fatal(r)
		}
		if !stillHeld(b, 100*time.Millisecond) || !stillHeld(c, 100*time.Millisecond) {
			t.Fatal("req(5)/req(6) answered")
		}
	})
	t.Run("B-085_switch_roles", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		bob := h.login("bob", "")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		r5 := alice.async(5, msg(bob.jid, "m"), "")
		if r := recv(t, r4, 500*time.Millisecond); r.status != 200 || r.attr("type") != "" {
			t.Fatal(r)
		}
		n := 4
		if got := bob.collect(&n, 1, 2*time.Second); !slices.Equal(got, []string{"m"}) {
			t.Fatal(got)
		}
		if !stillHeld(r5, 100*time.Millisecond) {
			t.Fatal("req(5) answered")
		}
	})
	t.Run("B-086_B-087_queued_output", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		var payload strings.Builder
		for i := range 500 {
			fmt.Fprintf(&payload, "<message to='%s' %s><body>%03d%s</body></message>", alice.jid, jc, i, strings.Repeat("x", 1000))
		}
		bob.req(4, payload.String(), "")
		var got []string
		for n := 4; len(got) < 500; n++ {
			r := alice.req(n, "", "")
			if len(r.texts()) == 0 {
				t.Fatalf("empty after %d: %s", len(got), r)
			}
			if len(r.raw) > 64<<10+2048 {
				t.Fatalf("B-087: %d bytes", len(r.raw))
			}
			got = append(got, r.texts()...)
		}
		for i, g := range got {
			if g[:3] != fmt.Sprintf("%03d", i) {
				t.Fatalf("out of order at %d: %.3s", i, g)
			}
		}
	})
	t.Run("B-090_dead_connection", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='5'")
		bob := h.login("bob", "")
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+"/http-bind", strings.NewReader(alice.body(4, "", "")))
		done := make(chan struct{})
		go func() {
			resp, err := httpClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			close(done)
		}()
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		cancel()
		<-done
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 0 }, "abandoned")
		bob.req(4, msg(alice.jid, "kept"), "")
		r := alice.req(4, "", "")
		if !slices.Equal(r.texts(), []string{"kept"}) {
			t.Fatalf("resent req(4): %s", r)
		}
	})
}

func TestB089_B264_WriteDeadline(t *testing.T) {
	t.Parallel()
	// B-089, B-264: the server's WriteTimeout does not cut a held request.
	core := ServerCore(newRealCore(t, "alice"))
	hd := NewHandler(testConfig(), core, zerolog.Nop())
	srv := httptest.NewUnstartedServer(hd)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	defer srv.Close()
	h := &harness{t: t, h: hd, srv: srv}
	c := h.create("wait='1'")
	if r := c.req(1, "", ""); !r.isEmpty() || r.took < 900*time.Millisecond {
		t.Fatalf("B-089: %s after %v", r, r.took)
	}
}

func TestOveractivity(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Polling = 400 * time.Millisecond })
	t.Run("B-091", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		var rs []<-chan *result
		for n := 5; n <= 7; n++ {
			rs = append(rs, alice.async(n, msg(bob.jid, "no"), ""))
		}
		term := false
		for _, ch := range rs {
			if r := recv(t, ch, 3*time.Second); r.attr("type") == "terminate" {
				term = true
			}
		}
		if !term {
			t.Fatal("no termination")
		}
		n := 4
		if got := bob.collect(&n, 1, 1100*time.Millisecond); len(got) != 0 {
			t.Fatal(got)
		}
	})
	t.Run("B-092_extra_terminate", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		r5 := alice.async(5, "", "")
		r6 := alice.async(6, "<presence type='unavailable' "+jc+"/>", "type='terminate'")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 2 }, "queued")
		r4 := alice.req(4, "", "")
		for _, r := range []*result{r4, recv(t, r5, 2*time.Second), recv(t, r6, 2*time.Second)} {
			if r.status != 200 || r.attr("condition") != "" {
				t.Fatalf("%s", r)
			}
		}
		if h.h.lookup(alice.sid) != nil {
			t.Fatal("session alive")
		}
	})
	t.Run("B-094_B-180_too_many_empty", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='2'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		r5 := alice.req(5, "", "")
		if !r5.isTerm(condPolicyViolation) {
			t.Fatal(r5)
		}
		if r := recv(t, r4, time.Second); !r.isTerm(condOtherRequest) {
			t.Fatal(r)
		}
		// (a) a stanza is fine.
		a := h.login("alice", "wait='2'")
		a4 := a.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, a) == 1 }, "held")
		if r := a.async(5, "<presence "+jc+"/>", ""); !stillHeld(r, 100*time.Millisecond) {
			t.Fatal("(a) req(5) answered")
		}
		if r := recv(t, a4, time.Second); r.attr("type") != "" {
			t.Fatal(r)
		}
		// (b) a poll after polling seconds is fine.
		b := h.login("alice", "wait='2'")
		b4 := b.async(4, "", "")
		if !stillHeld(b4, 500*time.Millisecond) {
			t.Fatal("(b) req(4)")
		}
		b5 := b.async(5, "", "")
		if r := recv(t, b4, time.Second); !r.isEmpty() {
			t.Fatal(r)
		}
		if !stillHeld(b5, 100*time.Millisecond) {
			t.Fatal("(b) req(5)")
		}
	})
	t.Run("B-094_reload_tolerance", func(t *testing.T) {
		// Issue item 5 (Converse.js #726, #923): a page reload abandons the
		// held request and polls again at once; that is not overactivity.
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='2'")
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+"/http-bind", strings.NewReader(alice.body(4, "", "")))
		done := make(chan struct{})
		go func() {
			if resp, err := httpClient.Do(req); err == nil {
				resp.Body.Close()
			}
			close(done)
		}()
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		cancel()
		<-done
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 0 }, "abandoned")
		if r := alice.req(5, "", ""); !r.isEmpty() {
			t.Fatal(r)
		}
	})
	t.Run("B-100_polling_too_fast", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		p := h.login("alice", "hold='0'")
		if r := p.req(4, "", ""); !r.isEmpty() {
			t.Fatal(r)
		}
		if r := p.req(5, "", ""); !r.isTerm(condPolicyViolation) {
			t.Fatal(r)
		}
		// (a) slow enough
		a := h.login("alice", "hold='0'")
		a.req(4, "", "")
		wait(450 * time.Millisecond)
		if r := a.req(5, "", ""); !r.isEmpty() {
			t.Fatalf("(a) %s", r)
		}
		// (b) the first response carried a payload
		b := h.login("alice", "hold='0'")
		bob := h.login("bob", "")
		bob.req(4, msg(b.jid, "first"), "")
		if r := b.req(4, "", ""); len(r.texts()) == 0 {
			t.Fatalf("(b) %s", r)
		}
		if r := b.req(5, "", ""); r.attr("type") != "" {
			t.Fatalf("(b) %s", r)
		}
		// (c) a stanza, (d) a resend
		c := h.login("alice", "hold='0'")
		c.req(4, "", "")
		if r := c.req(4, "", ""); !r.isEmpty() {
			t.Fatalf("(d) %s", r)
		}
		if r := c.req(5, "<presence "+jc+"/>", ""); r.attr("type") != "" {
			t.Fatalf("(c) %s", r)
		}
	})
}

// wait lets d pass, for the timing rules of XEP-0124 §11-§12.
func wait(d time.Duration) { <-time.After(d) }
