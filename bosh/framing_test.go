package bosh

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawHTTP writes req on a new TCP connection and reads one response.
func rawHTTP(t *testing.T, h *harness, req string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestFraming(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-001_B-005", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		body := createBody(nextR(), "")
		resp, raw := rawHTTP(t, h, fmt.Sprintf("POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		if resp.StatusCode != 200 || resp.Proto != "HTTP/1.1" || resp.Header.Get("Content-Length") != strconv.Itoa(len(raw)) || len(resp.TransferEncoding) > 0 {
			t.Fatalf("%v %v %d", resp.Status, resp.Header, len(raw))
		}
		body = createBody(nextR(), "")
		resp, raw = rawHTTP(t, h, fmt.Sprintf("POST /http-bind HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
		if resp.StatusCode != 200 || !bytes.Contains(raw, []byte("sid=")) {
			t.Fatalf("HTTP/1.0: %v %s", resp.Status, raw)
		}
		// B-005 (b): a long-poll answered at wait.
		c := h.create("")
		r := c.req(1, "", "")
		if r.hdr.Get("Content-Length") == "" || r.hdr.Get("Transfer-Encoding") != "" {
			t.Errorf("B-005 long-poll: %v", r.hdr)
		}
	})
	t.Run("B-003_ignored_headers", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		r := h.post(createBody(nextR(), ""), "X-Foo", "1", "Cookie", "a=b", "Referer", "https://evil.example/", "Authorization", "Basic Zm9vOmJhcg==")
		if r.attr("sid") == "" {
			t.Fatal(r)
		}
	})
	t.Run("B-006_no_url_parameters", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.login("alice", "")
		r := h.do(http.MethodPost, "?sid="+c.sid+"&rid="+itoa(c.R+4), nil)
		if !r.isTerm(condBadRequest) {
			t.Fatal(r)
		}
		if r := c.req(4, "", ""); !r.isEmpty() {
			t.Fatalf("session affected: %s", r)
		}
	})
	t.Run("B-011_bad_xml", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.login("alice", "")
		bob := h.login("bob", "")
		// (a) DTD
		r := h.post("<!DOCTYPE body [<!ENTITY x 'y'>]>" + c.body(4, "", ""))
		if !r.isTerm(condBadRequest) {
			t.Fatalf("DTD: %s", r)
		}
		// (b) a comment in a payload: nothing is processed, the session ends.
		c = h.login("alice", "")
		r = c.req(4, "<!-- c -->"+msg(bob.jid, "x"), "")
		if !r.isTerm(condBadRequest) {
			t.Fatalf("comment: %s", r)
		}
		if r := c.req(5, "", ""); !r.isTerm(condItemNotFound) {
			t.Fatalf("session survived: %s", r)
		}
		n := 4
		if got := bob.collect(&n, 1, 1500*time.Millisecond); len(got) != 0 {
			t.Fatalf("bob got %v", got)
		}
		// (c) truncated
		c = h.login("alice", "")
		r = h.post(fmt.Sprintf("<body %s rid='%d' sid='%s'><message>", hb, c.R+4, c.sid))
		if !r.isTerm(condBadRequest) {
			t.Fatalf("truncated: %s", r)
		}
		// (d) billion laughs
		lol := "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>"
		start := time.Now()
		r = h.post(lol + fmt.Sprintf("<body %s rid='1' sid='x'>&lol2;</body>", hb))
		if !r.isTerm(condBadRequest) || time.Since(start) > time.Second {
			t.Fatalf("laughs: %s", r)
		}
	})
	t.Run("B-014_B-173_no_rid", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		r := h.post(fmt.Sprintf("<body %s sid='%s'/>", hb, c.sid))
		if !r.isTerm(condBadRequest) {
			t.Fatal(r)
		}
		legacy := h.create("-ver")
		r = h.post(fmt.Sprintf("<body %s sid='%s'/>", hb, legacy.sid))
		if r.status != 400 {
			t.Fatalf("legacy: %s", r)
		}
	})
	t.Run("B-015_unknown_top_level", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.login("alice", "")
		r := c.req(4, "<json:json xmlns:json='http://json.org/'>[]</json:json>", "")
		if r.status != 200 {
			t.Fatal(r)
		}
		if r.attr("type") == "terminate" && (r.attr("condition") != condRemoteStreamError || r.root.FindElement("error/unsupported-stanza-type") == nil) {
			t.Fatal(r)
		}
	})
	t.Run("B-016_wrong_root", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, b := range []string{"<body rid='1' to='example.com'/>", "<foo " + hb + "/>", "<packet " + hb + " rid='1'/>"} {
			if r := h.post(b); !r.isTerm(condBadRequest) {
				t.Errorf("%s: %s", b, r)
			}
		}
	})
	t.Run("B-193_content_type_ignored", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, ct := range []string{"text/plain;charset=UTF-8", "application/x-www-form-urlencoded", ""} {
			if r := h.post(createBody(nextR(), ""), "Content-Type", ct); r.attr("sid") == "" {
				t.Errorf("%q: %s", ct, r)
			}
		}
	})
	t.Run("B-194_B-195_B-252_content", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("content='text/plain;\u0020charset=utf-8'")
		_ = c
		R := nextR()
		r := h.post(strings.Replace(createBody(R, ""), "/>", " content='text/plain; charset=utf-8'/>", 1))
		if r.hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("creation: %q", r.hdr.Get("Content-Type"))
		}
		c = &client{h: h, sid: r.attr("sid"), R: R}
		if r := c.req(1, "", ""); r.hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("long-poll: %q", r.hdr.Get("Content-Type"))
		}
		if r := c.req(2, "", "type='terminate'"); r.hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("terminate: %q", r.hdr.Get("Content-Type"))
		}
		r = h.post(strings.Replace(createBody(nextR(), ""), "/>", " content='text/html; charset=utf-8'/>", 1))
		if !r.isTerm(condBadRequest) || r.hdr.Get("Content-Type") != defaultContentType {
			t.Fatalf("html: %s %v", r, r.hdr)
		}
	})
	t.Run("B-196_B-261_headers", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		r := h.post(createBody(nextR(), ""))
		if r.hdr.Get("X-Content-Type-Options") != "nosniff" || r.hdr.Get("Cache-Control") != "no-store" {
			t.Fatal(r.hdr)
		}
	})
	t.Run("B-197_utf8", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		text := "Grüße 你好 😀"
		alice.req(4, msg(bob.jid, text), "")
		n := 4
		if got := bob.collect(&n, 1, 3*time.Second); len(got) != 1 || got[0] != text {
			t.Fatalf("%q", got)
		}
		r := alice.req(5, "<message to='bob@example.com/r' "+jc+"><body>\xff</body></message>", "")
		if !r.isTerm(condBadRequest) {
			t.Fatalf("0xFF: %s", r)
		}
		r = h.post("<?xml version='1.0' encoding='ISO-8859-1'?>" + createBody(nextR(), ""))
		if !r.isTerm(condBadRequest) {
			t.Fatalf("latin-1: %s", r)
		}
	})
	t.Run("B-200_bom_and_declaration", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		if r := h.post("\xef\xbb\xbf" + createBody(nextR(), "")); r.attr("sid") == "" {
			t.Errorf("BOM: %s", r)
		}
		if r := h.post("<?xml version='1.0' encoding='UTF-8'?>" + createBody(nextR(), "")); r.attr("sid") == "" {
			t.Errorf("declaration: %s", r)
		}
	})
	t.Run("B-203_B-217_compressed_request", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		alice := h.login("alice", "")
		bob := h.login("bob", "")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		io.WriteString(zw, alice.body(4, msg(bob.jid, "zipped"), ""))
		zw.Close()
		r := h.do(http.MethodPost, "", buf.Bytes(), "Content-Encoding", "gzip")
		if r.status != 200 || r.attr("type") != "" {
			t.Fatal(r)
		}
		n := 4
		if got := bob.collect(&n, 1, 3*time.Second); len(got) != 1 || got[0] != "zipped" {
			t.Fatalf("%q", got)
		}
		r = h.do(http.MethodPost, "", []byte(alice.body(5, "", "")), "Content-Encoding", "br")
		if !r.isTerm(condBadRequest) {
			t.Fatal(r)
		}
		// A gzip bomb stops at the decompressed-size limit.
		buf.Reset()
		zw = gzip.NewWriter(&buf)
		io.WriteString(zw, "<body "+hb+" rid='1'>")
		zw.Write(bytes.Repeat([]byte(" "), 8<<20))
		zw.Close()
		r = h.do(http.MethodPost, "", buf.Bytes(), "Content-Encoding", "gzip")
		if r.status != http.StatusRequestEntityTooLarge {
			t.Fatal(r)
		}
	})
	t.Run("B-250_oversize", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		big := "<body " + hb + " rid='1'>" + strings.Repeat("x", 10<<20) + "</body>"
		r := h.post(big, "Origin", "https://app.example")
		if r.status != http.StatusRequestEntityTooLarge || r.hdr.Get("Access-Control-Allow-Origin") == "" {
			t.Fatal(r.status, r.hdr)
		}
		c := h.create("")
		r = h.post(c.body(1, strings.Repeat("<a/>", 300<<10), ""))
		if !r.isTerm(condPolicyViolation) {
			t.Fatalf("session oversize: %s", r)
		}
		deep := h.create("")
		r = h.post(deep.body(1, strings.Repeat("<a>", 10000)+strings.Repeat("</a>", 10000), ""))
		if !r.isTerm(condBadRequest) {
			t.Fatalf("deep nesting: %.200s", r)
		}
	})
}

func TestHTTPMethods(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
	t.Run("B-255_preflight", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
		before := h.h.Count()
		r := h.do(http.MethodOptions, "", nil, "Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		if (r.status != 200 && r.status != 204) || r.hdr.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(r.hdr.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.EqualFold(r.hdr.Get("Access-Control-Allow-Headers"), "content-type") ||
			r.hdr.Get("Access-Control-Max-Age") != "86400" || len(r.raw) != 0 {
			t.Fatal(r.status, r.hdr)
		}
		if h.h.Count() != before {
			t.Fatal("session created")
		}
	})
	t.Run("B-256_B-257_cors_everywhere", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		o := []string{"Origin", "https://app.example"}
		R := nextR()
		r := h.post(createBody(R, ""), o...)
		c := &client{h: h, sid: r.attr("sid"), R: R}
		checks := []*result{r, h.post(c.body(1, "", ""), o...), h.post(c.body(9, "", ""), o...)}
		for i, r := range checks {
			if r.hdr.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(strings.Join(r.hdr.Values("Vary"), ","), "Origin") {
				t.Errorf("%d: %v", i, r.hdr)
			}
		}
		r = h.post(createBody(nextR(), ""), "Origin", "https://evil.example")
		if r.hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Error("evil origin allowed")
		}
		star := newHarness(t)
		if r := star.post(createBody(nextR(), ""), o...); r.hdr.Get("Access-Control-Allow-Origin") != "*" || r.hdr.Get("Access-Control-Allow-Credentials") != "" {
			t.Error(r.hdr)
		}
	})
	t.Run("B-259_B-260_get_head_other", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, func(c *Config) { c.CORSOrigins = []string{"https://app.example"} })
		before := h.h.Count()
		r := h.do(http.MethodGet, "?%3Cbody%20rid%3D'1'%20to%3D'example.com'%2F%3E", nil)
		if r.status != 200 || r.hdr.Get("Content-Type") != "text/html; charset=utf-8" || !bytes.Contains(r.raw, []byte("BOSH")) {
			t.Fatal(r)
		}
		if r := h.do(http.MethodHead, "", nil); r.status != 200 || len(r.raw) != 0 {
			t.Fatal(r)
		}
		r = h.do(http.MethodDelete, "", nil)
		if r.status != 405 || r.hdr.Get("Allow") == "" {
			t.Fatal(r)
		}
		if h.h.Count() != before {
			t.Fatal("session created")
		}
	})
}

func TestB007_Pipelining(t *testing.T) {
	t.Parallel()
	// B-007: two requests written back to back on one connection.
	h := newHarness(t)
	alice := h.login("alice", "")
	bob := h.login("bob", "")
	b4 := alice.body(4, "", "")
	b5 := alice.body(5, msg(bob.jid, "piped"), "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := func(b string) string {
		return fmt.Sprintf("POST /http-bind HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(b), b)
	}
	if _, err := io.WriteString(conn, req(b4)+req(b5)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for i := range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("response %d: %s", i, resp.Status)
		}
	}
	n := 4
	if got := bob.collect(&n, 1, 3*time.Second); len(got) != 1 || got[0] != "piped" {
		t.Fatal(got)
	}
}

func TestB250_SessionsPerIP(t *testing.T) {
	t.Parallel()
	// B-250: sessions per client address.
	h := newHarness(t, func(c *Config) { c.MaxSessionsPerIP = 3 })
	for range 3 {
		h.create("")
	}
	if r := h.post(createBody(nextR(), "")); !r.isTerm(condPolicyViolation) {
		t.Fatal(r)
	}
}

// TestB008_B009_B010_B012_B172_B184_B205_EveryResponse runs a whole
// session; checkBody applies the response rules to every response of
// the suite, this one included.
func TestB008_B009_B010_B012_B172_B184_B205_EveryResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alice := h.login("alice", "ack='1'")
	bob := h.login("bob", "")
	alice.req(4, msg(bob.jid, "a &amp; b &lt; c"), "")
	n := 4
	if got := bob.collect(&n, 1, 2*time.Second); len(got) != 1 || got[0] != "a & b < c" {
		t.Fatal(got)
	}
	if r := alice.req(5, "", "type='terminate'"); !r.isTerm("") {
		t.Fatal(r)
	}
	if !strings.Contains(string(alice.cr.raw), "xmlns:stream='"+nsStream+"'") {
		t.Fatal("B-205: creation response does not declare the stream prefix")
	}
}
