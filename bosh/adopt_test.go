package bosh

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawConn is one HTTP/1.1 connection written by hand.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func (c *rawConn) send(method, path, body string, hdrs ...string) {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n", method, path, len(body))
	for _, h := range hdrs {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) read() (*http.Response, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

// TestAdoptedKeepAlive: a held request's connection is taken over, its
// answer written when data comes, and the same connection then carries
// the next requests, held and immediate (XEP-0124 §8, B-079).
func TestAdoptedKeepAlive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.login("alice", "wait='5'")
	bob := h.login("bob", "")
	before := h.h.Stats().ConnsAdopted.Load()
	c := dialRaw(t, h.srv.URL)
	c.send("POST", "/http-bind", alice.body(4, "", ""), "Origin: http://example.net")
	eventually(t, 2*time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
	if h.h.Stats().ConnsAdopted.Load() <= before {
		t.Fatal("held request's connection not adopted")
	}
	bob.req(4, msg(alice.jid, "one"), "")
	resp, body := c.read()
	if resp.StatusCode != 200 || !strings.Contains(body, "one") ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Date") == "" {
		t.Fatalf("%v %s", resp.Header, body)
	}
	// The next request on the adopted connection is held, then answered.
	c.send("POST", "/http-bind", alice.body(5, "", ""))
	eventually(t, 2*time.Second, func() bool { return heldCount(h, alice) == 1 }, "held again")
	bob.req(5, msg(alice.jid, "two"), "")
	if _, body := c.read(); !strings.Contains(body, "two") {
		t.Fatal(body)
	}
	// An immediate answer on it: a preflight and a GET of the endpoint.
	c.send("OPTIONS", "/http-bind", "", "Access-Control-Request-Headers: content-type")
	if resp, _ := c.read(); resp.StatusCode != http.StatusNoContent {
		t.Fatal(resp.Status)
	}
	c.send("GET", "/http-bind", "")
	if resp, body := c.read(); resp.StatusCode != 200 || !strings.Contains(body, "BOSH endpoint") {
		t.Fatal(resp.Status, body)
	}
}

// TestAdoptedHangUp: a client that closes a parked request's connection
// is noticed at once; the request stops counting as held (B-090).
func TestAdoptedHangUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.login("alice", "wait='10'")
	c := dialRaw(t, h.srv.URL)
	c.send("POST", "/http-bind", alice.body(4, "", ""))
	eventually(t, 2*time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
	n := h.h.AdoptedConns()
	c.conn.Close()
	eventually(t, 2*time.Second, func() bool { return heldCount(h, alice) == 0 }, "hang-up noticed")
	eventually(t, 2*time.Second, func() bool { return h.h.AdoptedConns() == n-1 }, "connection dropped")
	// The session goes on: the next request is answered.
	if r := alice.req(5, "", "pause='5'"); !r.isEmpty() {
		t.Fatal(r)
	}
}

// TestAdoptedWaitExpiry: the shared wheel answers a parked request with an
// empty body at the end of its wait (XEP-0124 §8, B-080).
func TestAdoptedWaitExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.login("alice", "wait='1'")
	c := dialRaw(t, h.srv.URL)
	start := time.Now()
	c.send("POST", "/http-bind", alice.body(4, "", ""))
	resp, body := c.read()
	if resp.StatusCode != 200 || strings.Contains(body, "<message") || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("%s after %v", body, time.Since(start))
	}
}

// TestAdoptedHandBack: a request for another path on an adopted connection
// goes back to net/http through Returned.
func TestAdoptedHandBack(t *testing.T) {
	t.Parallel()
	hs := newHarness(t)
	mux := http.NewServeMux()
	mux.Handle("/http-bind", hs.h)
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "other page")
	})
	back := httptest.NewUnstartedServer(mux)
	back.Listener.Close()
	back.Listener = hs.h.Returned()
	back.Start()
	t.Cleanup(back.Close)
	alice := hs.login("alice", "wait='1'")
	c := dialRaw(t, hs.srv.URL)
	c.send("POST", "/http-bind", alice.body(4, "", ""))
	if resp, _ := c.read(); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	c.send("GET", "/other", "")
	if resp, body := c.read(); resp.StatusCode != 200 || body != "other page" {
		t.Fatal(resp.Status, body)
	}
	if hs.h.Stats().ConnsReturned.Load() == 0 {
		t.Fatal("not handed back")
	}
	// net/http serves it from now on, BOSH included.
	if r := alice.req(5, "", "pause='5'"); !r.isEmpty() {
		t.Fatal(r)
	}
}

// TestAdoptedBadRequest: garbage on an adopted connection gets 400 and the
// connection closes; Expect: 100-continue is honoured.
func TestAdoptedBadRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.login("alice", "wait='1'")
	c := dialRaw(t, h.srv.URL)
	body := alice.body(4, "", "")
	c.send("POST", "/http-bind", body)
	c.read()
	next := alice.body(5, "", "")
	fmt.Fprintf(c.conn, "POST /http-bind HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", len(next))
	if resp, _ := c.read(); resp.StatusCode != http.StatusContinue {
		t.Fatal(resp.Status)
	}
	io.WriteString(c.conn, next)
	if resp, _ := c.read(); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	io.WriteString(c.conn, "POST /http-bind HTTP/1.1\r\nContent-Length: zz\r\n\r\n")
	if resp, _ := c.read(); resp.StatusCode != http.StatusBadRequest {
		t.Fatal(resp.Status)
	}
	if _, err := c.br.ReadByte(); err != io.EOF {
		t.Fatalf("connection still open: %v", err)
	}
}

// TestAdoptedGoroutines: parked requests hold no goroutine each.
func TestAdoptedGoroutines(t *testing.T) {
	h := newHarness(t)
	const n = 50
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = h.login([]string{"alice", "bob", "carol"}[i%3], "wait='20'")
	}
	base := runtime.NumGoroutine()
	conns := make([]*rawConn, n)
	for i, cl := range clients {
		conns[i] = dialRaw(t, h.srv.URL)
		conns[i].send("POST", "/http-bind", cl.body(4, "", ""))
	}
	eventually(t, 5*time.Second, func() bool { return h.h.Stats().HeldRequests.Load() >= n }, "all held")
	eventually(t, 5*time.Second, func() bool { return runtime.NumGoroutine() < base+n/2 }, "goroutines released")
}

// TestNoAdopt: with adoption off, held requests stay on net/http and are
// answered the same way (XEP-0124 §8).
func TestNoAdopt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.NoAdopt = true })
	alice := h.login("alice", "wait='5'")
	bob := h.login("bob", "")
	ch := alice.async(4, "", "")
	eventually(t, 2*time.Second, func() bool { return heldCount(h, alice) == 1 }, "held")
	bob.req(4, msg(alice.jid, "plain"), "")
	if r := recv(t, ch, 3*time.Second); len(r.texts()) != 1 || r.texts()[0] != "plain" {
		t.Fatal(r)
	}
	if n := h.h.Stats().ConnsAdopted.Load(); n != 0 {
		t.Fatalf("%d connections adopted", n)
	}
}

// TestAdoptedFilePressure: near the open-file limit, idle keep-alive
// connections are closed so that parked requests and new clients keep
// their descriptors.
func TestAdoptedFilePressure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	idle := dialRaw(t, h.srv.URL)
	idle.send("POST", "/http-bind", createBody(nextR(), ""))
	if resp, _ := idle.read(); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	eventually(t, 2*time.Second, func() bool { return h.h.AdoptedConns() >= 1 }, "adopted")
	h.h.fdHigh.Store(1) // every adoption is now under pressure
	closed := make(chan struct{})
	go func() {
		_ = idle.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := idle.br.ReadByte(); err != nil {
			close(closed)
		}
	}()
	deadline := time.After(8 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return
		case <-deadline:
			t.Fatal("idle connection never closed under pressure")
		case <-tick.C:
			c := dialRaw(t, h.srv.URL)
			c.send("POST", "/http-bind", createBody(nextR(), ""))
			c.read()
		}
	}
}
