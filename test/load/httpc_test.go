package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testBOSH is a boshConn that posts to url, for exercising post alone.
func testBOSH(t *testing.T, url string) *boshConn {
	t.Helper()
	env := newNetEnv(nil, "localhost")
	target, err := newHTTPTarget(env, url)
	if err != nil {
		t.Fatal(err)
	}
	b := &boshConn{env: env, url: url, target: target, wait: 5 * time.Second, sid: "s1", domain: "localhost"}
	t.Cleanup(b.shutdown)
	return b
}

// countingServer is an httptest server counting the connections it
// accepted.
func countingServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

const okBody = "<body xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><body>hi</body></message></body>"

func TestHTTPKeepAlive(t *testing.T) {
	var got []string
	var mu sync.Mutex
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(b))
		mu.Unlock()
		w.Write([]byte(okBody))
	})
	b := testBOSH(t, srv.URL+"/http-bind")
	for i := range 5 {
		body, err := b.post(context.Background(), uint64(10+i), "", "<presence xmlns='jabber:client'/>")
		if err != nil {
			t.Fatal(err)
		}
		if len(body.Kids) != 1 || body.Kids[0].child("", "body").Text != "hi" {
			t.Fatalf("response %v", kidNames(body))
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 requests in a row, want 1", n)
	}
	want := "POST /http-bind text/xml; charset=utf-8 <body rid='14' sid='s1' xmlns='http://jabber.org/protocol/httpbind'><presence xmlns='jabber:client'/></body>"
	if len(got) != 5 || got[4] != want {
		t.Fatalf("server got %q\nwant last %q", got, want)
	}
}

func TestHTTPChunked(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		// Flushing before the end makes net/http send it chunked.
		for part := range strings.SplitSeq(okBody, "<") {
			if part != "" {
				io.WriteString(w, "<"+part)
				w.(http.Flusher).Flush()
			}
		}
	})
	b := testBOSH(t, srv.URL)
	for i := range 3 {
		body, err := b.post(context.Background(), uint64(i+1), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if body.Kids[0].child("", "body").Text != "hi" {
			t.Fatalf("chunked response parsed as %v", body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestHTTPConnectionClose(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte(okBody))
	})
	b := testBOSH(t, srv.URL)
	for i := range 3 {
		if _, err := b.post(context.Background(), uint64(i+1), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3 (one per response with Connection: close)", n)
	}
	if len(b.idle) != 0 {
		t.Errorf("%d closed connections kept", len(b.idle))
	}
}

func TestHTTPStatus(t *testing.T) {
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.Error(w, "no BOSH here", http.StatusNotFound)
			return
		}
		w.Write([]byte(okBody))
	})
	missing := testBOSH(t, srv.URL+"/missing")
	_, err := missing.post(context.Background(), 1, "", "")
	if err == nil || err.Error() != "BOSH: HTTP 404 Not Found" {
		t.Fatalf("error %v, want BOSH: HTTP 404 Not Found", err)
	}
	// The error response's body was read: the connection is reused.
	missing.target = testBOSH(t, srv.URL+"/ok").target
	if _, err := missing.post(context.Background(), 2, "", ""); err != nil {
		t.Fatal(err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestHTTPMalformedBody(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"<body xmlns='http://jabber.org/protocol/httpbind'><message>", "BOSH response: XML syntax error on line 1: unexpected EOF"},
		{"<html>Service Unavailable</html>", "BOSH response: expected <body xmlns='http://jabber.org/protocol/httpbind'>, got <html xmlns=''>"},
		{"", "BOSH response: unexpected EOF"},
	} {
		srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, c.body) })
		_, err := testBOSH(t, srv.URL).post(context.Background(), 1, "", "")
		if err == nil || err.Error() != c.want {
			t.Errorf("body %q: error %v, want %q", c.body, err, c.want)
		}
	}
}

func TestHTTPTerminate(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>")
	})
	_, err := testBOSH(t, srv.URL).post(context.Background(), 1, "", "")
	if err == nil || err.Error() != "BOSH terminate: item-not-found" {
		t.Fatalf("error %v", err)
	}
}

// rawServer answers each request read on a connection with the next of
// replies (raw bytes, possibly several responses), then closes the
// connection when close is set; it counts connections.
func rawServer(t *testing.T, replies []string, closeAfter bool) (string, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var conns, next atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					i := int(next.Add(1)) - 1
					if i >= len(replies) {
						return
					}
					io.WriteString(c, replies[i])
					if closeAfter {
						return
					}
				}
			}()
		}
	}()
	return "http://" + l.Addr().String() + "/http-bind", &conns
}

func TestHTTPRawResponses(t *testing.T) {
	body := "<body xmlns='http://jabber.org/protocol/httpbind'/>"
	cl := fmt.Sprintf("Content-Length: %d\r\n", len(body))
	for _, c := range []struct {
		name  string
		reply string
		want  string // error text; "" for success
		conns int64  // connections used by two requests
	}{
		{"keep-alive", "HTTP/1.1 200 OK\r\n" + cl + "\r\n" + body, "", 1},
		{"LF line ends", "HTTP/1.1 200 OK\n" + cl[:len(cl)-2] + "\n\n" + body, "", 1},
		{"header case", "HTTP/1.1 200 OK\r\ncontent-LENGTH: " + fmt.Sprint(len(body)) + "\r\nX-A: b\r\n\r\n" + body, "", 1},
		{"HTTP/1.0 closes", "HTTP/1.0 200 OK\r\n" + cl + "\r\n" + body, "", 2},
		{"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n" + cl + "\r\n" + body, "", 1},
		{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: Close\r\n" + cl + "\r\n" + body, "", 2},
		{"close-delimited", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body, "", 2},
		{"100 Continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" + cl + "\r\n" + body, "", 1},
		{"chunk extensions and trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
			fmt.Sprintf("%x;ext=1\r\n%s\r\n", 10, body[:10]) + fmt.Sprintf("%X\r\n%s\r\n", len(body)-10, body[10:]) +
			"0\r\nX-Trailer: 1\r\n\r\n", "", 1},
		{"chunked and Content-Length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body), "", 2},
		{"503", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy", "BOSH: HTTP 503 Service Unavailable", 1},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n", "BOSH: HTTP 204 No Content", 1},
		{"gzip", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n" + cl + "\r\n" + body, `unsupported Content-Encoding "gzip"`, 0},
		{"transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", `unsupported Transfer-Encoding "gzip, chunked"`, 0},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", `bad Content-Length "-1"`, 0},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", `bad Content-Length "2"`, 0},
		{"bad status line", "HTTP/2 200\r\n\r\n", `malformed status line "HTTP/2 200"`, 0},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", "malformed status line", 0},
		{"folded header", "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n" + cl + "\r\n" + body, "malformed header line", 0},
		{"short body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + body, "connection closed after 51 of 100 body bytes", 0},
		{"truncated head", "HTTP/1.1 200 OK\r\nContent-", "connection closed in the response head", 0},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", `bad chunk size line "zz"`, 0},
		{"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nabc", "connection closed in a chunked body", 0},
		{"switching protocols", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "unexpected 101", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A broken response ends the connection, as does one delimited by the close.
			closeAfter := c.want != "" && c.conns == 0 || strings.HasPrefix(c.name, "close-delimited")
			url, conns := rawServer(t, []string{c.reply, c.reply}, closeAfter)
			b := testBOSH(t, url)
			for i := range 2 {
				_, err := b.post(context.Background(), uint64(i+1), "", "")
				if c.want == "" && err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
					t.Fatalf("request %d: error %v, want %q", i, err, c.want)
				}
			}
			if c.conns != 0 && conns.Load() != c.conns {
				t.Errorf("%d connections, want %d", conns.Load(), c.conns)
			}
		})
	}
}

// TestHTTPServerClosedIdle: a connection the server closed while idle is
// found dead when reused, and the request goes again on a new one.
func TestHTTPServerClosedIdle(t *testing.T) {
	body := "<body xmlns='http://jabber.org/protocol/httpbind'/>"
	reply := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	url, conns := rawServer(t, []string{reply, reply, reply}, true) // no Connection: close, yet closes
	b := testBOSH(t, url)
	for i := range 3 {
		// Whether the server's close has arrived when the connection is
		// reused or not, the request must go again on a new one.
		if _, err := b.post(context.Background(), uint64(i+1), "", ""); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections, want 3", n)
	}
}

// TestHTTPDeadline: a server that never answers fails the request at the
// deadline of its context.
func TestHTTPDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			go io.Copy(io.Discard, c)
		}
	}()
	b := testBOSH(t, "http://"+l.Addr().String()+"/")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = b.post(ctx, 1, "", "")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %v", err, time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err = b.post(ctx, 2, "", ""); err != context.Canceled && !strings.Contains(fmt.Sprint(err), "canceled") {
		t.Fatalf("canceled: error %v", err)
	}
}

func TestHTTPTargetHead(t *testing.T) {
	tg, err := newHTTPTarget(nil, "http://[::1]:5280/http-bind?x=1")
	if err != nil {
		t.Fatal(err)
	}
	if tg.addr != "[::1]:5280" || !strings.HasPrefix(string(tg.head), "POST /http-bind?x=1 HTTP/1.1\r\nHost: [::1]:5280\r\n") {
		t.Fatalf("addr %q head %q", tg.addr, tg.head)
	}
	if tg, _ := newHTTPTarget(nil, "https://localhost/b"); tg.addr != "localhost:443" || !tg.tls {
		t.Fatalf("https default port: %+v", tg)
	}
}

func TestParseHead(t *testing.T) {
	for _, c := range []struct {
		head    string
		status  int
		length  int64
		chunked bool
		close   bool
		err     string
	}{
		{head: "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", status: 200, length: 12},
		{head: "HTTP/1.1 200 OK\r\ncontent-length:\t7 \r\nX-Content-Length: 9\r\n\r\n", status: 200, length: 7},
		{head: "HTTP/1.1 200\r\n\r\n", status: 200, length: -1},
		{head: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", status: 200, length: 3},
		{head: "HTTP/1.1 404 Not Found\r\nConnection: keep-alive, close\r\n\r\n", status: 404, length: -1, close: true},
		{head: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", status: 200, length: 0},
		{head: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", status: 200, length: 0, close: true},
		{head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", status: 200, length: -1, chunked: true},
		{head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", status: 200, length: -1, chunked: true, close: true},
		{head: "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n\r\n", status: 200, length: -1},
		{head: "HTTP/1.1 099 Odd\r\n\r\n", err: "malformed status line"},
		{head: "HTTP/1.1 20x OK\r\n\r\n", err: "malformed status line"},
		{head: "HTTP/1.1 2000 OK\r\n\r\n", err: "malformed status line"},
		{head: "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", err: "bad Content-Length"},
		{head: "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", err: "bad Content-Length"},
		{head: "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", err: "bad Content-Length"},
		{head: "HTTP/1.1 200 OK\r\nContent Length: 5\r\n\r\n", err: "malformed header line"},
		{head: "HTTP/1.1 200 OK\r\n: 5\r\n\r\n", err: "malformed header line"},
		{head: "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", err: "malformed header line"},
		{head: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", err: `unsupported Transfer-Encoding "chunked,chunked"`},
		{head: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", maxHeaders+1) + "\r\n", err: "more than 200 header fields"},
	} {
		resp, fr, err := parseHead([]byte(c.head))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.head, err, c.err)
			}
			continue
		}
		if err != nil || resp.status != c.status || fr.length != c.length || fr.chunked != c.chunked || resp.close != c.close {
			t.Errorf("%q: status %d length %d chunked %v close %v, %v", c.head, resp.status, fr.length, fr.chunked, resp.close, err)
		}
	}
}

func TestHTTPS(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			t.Error("not over TLS")
		}
		w.Write([]byte(okBody))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	b := testBOSH(t, srv.URL)
	for i := range 3 {
		if _, err := b.post(context.Background(), uint64(i+1), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}
