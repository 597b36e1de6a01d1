package bosh

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/rs/zerolog"
)

func TestMore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-013_big_stanza_whole", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		big := strings.Repeat("0123456789", 10<<10)
		bob.req(4, msg(alice.jid, big), "")
		r := alice.req(4, "", "")
		if got := r.texts(); len(got) != 1 || got[0] != big {
			t.Fatalf("%d texts", len(got))
		}
	})
	t.Run("B-115_pause_equal_inactivity", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "wait='3'")
		r4 := alice.async(4, "", "")
		eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
		if r := alice.req(5, "", "pause='"+alice.cr.attr("inactivity")+"'"); !r.isEmpty() || r.took > 500*time.Millisecond {
			t.Fatal(r)
		}
		recv(t, r4, 500*time.Millisecond)
	})
	t.Run("B-141_B-142_no_multiple_streams", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		r := alice.req(4, "", "to='example.com' xml:lang='en' route='xmpp:example.com:5222'")
		if !r.isEmpty() || r.hasAttr("stream") || r.took < 900*time.Millisecond {
			t.Fatalf("B-141: %s", r)
		}
		alice.req(5, msg(bob.jid, "s"), "stream='bogus'")
		n := 4
		if got := bob.collect(&n, 1, 2*time.Second); !slices.Equal(got, []string{"s"}) {
			t.Fatalf("B-142: %v", got)
		}
	})
	t.Run("B-245_e2ee_passthrough", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		enc := "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'><key rid='2'>a2V5</key><iv>aXY=</iv></header><payload>cGF5</payload></encrypted>"
		alice.req(4, "<message to='"+bob.jid+"' "+jc+">"+enc+"</message>", "")
		r := bob.req(4, "", "")
		got := r.root.FindElement("message/encrypted")
		if got == nil {
			t.Fatal(r)
		}
		var buf bytes.Buffer
		serialize(&buf, got)
		if buf.String() != enc {
			t.Fatalf("%s\n%s", buf.String(), enc)
		}
	})
	t.Run("B-263_untrusted_forwarding_headers", func(t *testing.T) {
		t.Parallel()
		c := newRealCoreOpts(t, true)
		sh := startHarness(t, ServerCore(c), nil, &harness{real: c})
		r := sh.post(createBody(nextR(), ""), "X-Forwarded-Proto", "https")
		for _, m := range r.root.FindElements("features/mechanisms/mechanism") {
			if m.Text() == "PLAIN" {
				t.Fatal("PLAIN offered on an untrusted X-Forwarded-Proto")
			}
		}
	})
	t.Run("B-269_B-002_any_connection", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		other := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/http-bind", strings.NewReader(alice.body(4, "", "pause='5'")))
		resp, err := other.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatal(err, resp)
		}
		resp.Body.Close()
	})
}

func TestB234_B236_B237_Undeliverable(t *testing.T) {
	t.Parallel()
	// B-234, B-236, B-237: what a client that stopped polling never
	// fetched goes back to the core's undeliverable routing.
	c := newRealCore(t, "alice", "bob")
	var mu sync.Mutex
	var back []string
	c.SetUndeliverable(func(s *server.Session, els []*etree.Element) {
		mu.Lock()
		defer mu.Unlock()
		for _, el := range els {
			if b := el.SelectElement("body"); b != nil {
				back = append(back, b.Text())
			}
		}
		c.BounceUndeliverable(s, els)
	})
	h := startHarness(t, ServerCore(c), []func(*Config){func(c *Config) { c.Inactivity = time.Second }}, &harness{real: c})
	alice := h.login("alice", "")
	bob := h.login("bob", "wait='3'")
	bob.async(4, "<presence to='"+alice.jid+"' "+jc+"/>"+msg(alice.jid, "m1"), "")
	eventually(t, 3*time.Second, func() bool { return h.h.lookup(alice.sid) == nil }, "alice timed out")
	eventually(t, time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(back, []string{"m1"})
	}, "m1 handed back")
	r := bob.req(5, "", "")
	if r.root.FindElement("presence[@type='error']") != nil {
		t.Fatalf("B-234: %s", r)
	}
}

func TestB248_SIDNotLogged(t *testing.T) {
	t.Parallel()
	// B-248: at the default level no sid appears in the logs.
	var buf syncBuffer
	c := newRealCore(t, "alice")
	hd := NewHandler(testConfig(), ServerCore(c), zerolog.New(&buf).Level(zerolog.InfoLevel))
	srv := httptest.NewServer(hd)
	defer srv.Close()
	h := &harness{t: t, h: hd, srv: srv, real: c}
	alice := h.login("alice", "")
	alice.req(4, "", "type='terminate'")
	h.post("<body " + hb + " rid='1'>")
	if strings.Contains(buf.String(), alice.sid) {
		t.Fatal(buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestB265_HTTP2(t *testing.T) {
	t.Parallel()
	// B-265: BOSH over HTTP/2, held requests as separate streams.
	c := newRealCore(t, "alice", "bob")
	hd := NewHandler(testConfig(), ServerCore(c), zerolog.Nop())
	srv := httptest.NewUnstartedServer(hd)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	h := &harness{t: t, h: hd, srv: srv, real: c}
	client := srv.Client()
	client.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS12
	h.client = client
	alice := h.login("alice", "wait='3'")
	bob := h.login("bob", "")
	r4 := alice.async(4, "", "")
	eventually(t, time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
	alice.async(5, msg(bob.jid, "h2"), "")
	r := recv(t, r4, time.Second)
	if r.status != 200 || !strings.HasPrefix(r.proto, "HTTP/2") {
		t.Fatalf("%s over %s", r, r.proto)
	}
	n := 4
	if got := bob.collect(&n, 1, 2*time.Second); !slices.Equal(got, []string{"h2"}) {
		t.Fatal(got)
	}
}
