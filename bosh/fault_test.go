package bosh

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("B-177_panic", func(t *testing.T) {
		t.Parallel()
		h := newFakeHarness(t)
		a := h.login("alice", "")
		b := h.login("bob", "")
		if r := a.req(4, "<boom "+jc+"/>", ""); !r.isTerm(condInternalError) {
			t.Fatal(r)
		}
		if h.h.lookup(a.sid) != nil {
			t.Fatal("session alive")
		}
		if r := b.req(4, "", "pause='5'"); !r.isEmpty() {
			t.Fatalf("other session: %s", r)
		}
	})
	t.Run("B-181_core_refuses", func(t *testing.T) {
		t.Parallel()
		h := newFakeHarness(t)
		h.core.refuse = true
		if r := h.post(createBody(nextR(), "")); !r.isTerm(condRemoteConnFailed) {
			t.Fatal(r)
		}
		if h.h.Count() != 0 {
			t.Fatal("session registered")
		}
	})
	t.Run("B-182_B-233_see_other_uri", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.RequireTLS = true; c.SeeOtherURI = "https://localhost:5443/http-bind" })
		r := h.post(createBody(nextR(), ""))
		if !r.isTerm(condSeeOtherURI) || r.root.FindElement("uri") == nil || r.root.FindElement("uri").Text() != "https://localhost:5443/http-bind" {
			t.Fatal(r)
		}
	})
}

func TestCompression(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.Compress = true })
	big := strings.Repeat("compressible ", 200)
	get := func(t *testing.T, h *harness, accept string) *result {
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		bob.req(4, msg(alice.jid, big), "")
		eventually(t, time.Second, func() bool { return outCount(h, alice) == 1 }, "queued")
		return h.post(alice.body(4, "", ""), "Accept-Encoding", accept)
	}
	t.Run("B-201_gzip", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		r := get(t, h, "gzip, deflate")
		if r.hdr.Get("Content-Encoding") != "gzip" || !strings.Contains(r.hdr.Get("Vary"), "Accept-Encoding") {
			t.Fatal(r.hdr)
		}
		zr, err := gzip.NewReader(bytes.NewReader(r.raw))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		checkBody(t, plain)
		if !bytes.Contains(plain, []byte("compressible")) {
			t.Fatalf("%.200s", plain)
		}
	})
	t.Run("B-202_unlisted_coding", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, ae := range []string{"br", ""} {
			if r := get(t, h, ae); r.hdr.Get("Content-Encoding") != "" {
				t.Fatalf("%q: %v", ae, r.hdr)
			}
		}
	})
	t.Run("B-253_default_off_and_sasl", func(t *testing.T) {
		t.Parallel()
		off := newHarness(t)
		if r := get(t, off, "gzip"); r.hdr.Get("Content-Encoding") != "" {
			t.Fatal(r.hdr)
		}
		h := h.sub(t)
		c := h.create("")
		r := h.post(c.body(1, h.auth("alice", "secret"), ""), "Accept-Encoding", "gzip")
		if r.hdr.Get("Content-Encoding") != "" {
			t.Fatal(r.hdr)
		}
	})
}

func TestB002_ConnectionsAndVersions(t *testing.T) {
	t.Parallel()
	// B-002 (many connections, HTTP/1.0 and 1.1) and B-007 (pipelining).
	h := newHarness(t)
	alice := h.login("alice", "")
	bob := h.login("bob", "")
	r4 := alice.async(4, "", "")
	body := alice.body(5, msg(bob.jid, "via 1.0"), "")
	resp, raw := rawHTTP(t, h, fmt.Sprintf("POST /http-bind HTTP/1.0\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %s", resp.Status, raw)
	}
	recv(t, r4, 2*time.Second)
	n := 4
	if got := bob.collect(&n, 1, 2*time.Second); len(got) != 1 || got[0] != "via 1.0" {
		t.Fatal(got)
	}
}
