package bosh

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server"
	"github.com/rs/zerolog"
)

const (
	hb = "xmlns='http://jabber.org/protocol/httpbind'"
	xb = "xmlns:xmpp='urn:xmpp:xbosh'"
	jc = "xmlns='jabber:client'"
)

// harness runs the real handler on a loopback HTTP server.
type harness struct {
	t      testing.TB
	h      *Handler
	srv    *httptest.Server
	core   *fakeCore    // the stand-in core, or nil
	real   *server.Core // the real core, or nil
	hdrs   []string     // headers sent with every request
	client *http.Client // nil: httpClient
}

// testConfig is the test profile with short timings.
func testConfig() Config {
	return Config{
		MaxWait:    60 * time.Second,
		MaxHold:    2,
		Inactivity: 6 * time.Second,
		MaxPause:   20 * time.Second,
		Polling:    2 * time.Second,
	}
}

// newFakeHarness drives the handler with the stand-in core, for fault
// injection the real core does not offer.
func newFakeHarness(t testing.TB, mod ...func(*Config)) *harness {
	core := newFakeCore()
	return startHarness(t, core, mod, &harness{core: core})
}

// newHarness drives the handler with the real session core over a SQLite
// store with the users alice, bob and carol (password "secret") on
// example.com.
func newHarness(t testing.TB, mod ...func(*Config)) *harness {
	c := newRealCore(t, "alice", "bob", "carol")
	return startHarness(t, ServerCore(c), mod, &harness{real: c})
}

func startHarness(t testing.TB, core Core, mod []func(*Config), hs *harness) *harness {
	cfg := testConfig()
	for _, f := range mod {
		f(&cfg)
	}
	h := NewHandler(cfg, core, zerolog.Nop())
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
		srv.Close()
		h.Close()
	})
	hs.t, hs.h, hs.srv = t, h, srv
	return hs
}

// sub returns the harness reporting to t (a subtest).
func (h *harness) sub(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}

// result is one HTTP response.
type result struct {
	status int
	hdr    http.Header
	raw    []byte
	root   *etree.Element // nil unless a 200 with a body
	took   time.Duration
	proto  string
}

func (r *result) attr(name string) string {
	if r.root == nil {
		return ""
	}
	space, key, ok := strings.Cut(name, ":")
	if !ok {
		space, key = "", name
	}
	for _, a := range r.root.Attr {
		if a.Space == space && a.Key == key {
			return a.Value
		}
	}
	return ""
}

func (r *result) hasAttr(name string) bool {
	if r.root == nil {
		return false
	}
	for _, a := range r.root.Attr {
		if a.Space == "" && a.Key == name {
			return true
		}
	}
	return false
}

// isTerm reports <body type='terminate' condition=cond/>.
func (r *result) isTerm(cond string) bool {
	return r.status == 200 && r.attr("type") == "terminate" && r.attr("condition") == cond
}

// isEmpty reports a plain <body/>: no children, no type.
func (r *result) isEmpty() bool {
	return r.status == 200 && r.root != nil && len(r.root.ChildElements()) == 0 && !r.hasAttr("type")
}

func (r *result) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// post sends body with optional header pairs and returns the response.
func (h *harness) post(body string, hdrs ...string) *result {
	h.t.Helper()
	return h.do(http.MethodPost, "", []byte(body), hdrs...)
}

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

func (h *harness) do(method, query string, body []byte, hdrs ...string) *result {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+"/http-bind"+query, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hdrs = append(append([]string(nil), h.hdrs...), hdrs...)
	for i := 0; i+1 < len(hdrs); i += 2 {
		if hdrs[i+1] == "" {
			req.Header.Del(hdrs[i])
		} else {
			req.Header.Set(hdrs[i], hdrs[i+1])
		}
	}
	start := time.Now()
	hc := h.client
	if hc == nil {
		hc = httpClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		h.t.Errorf("%s: %v", method, err)
		return &result{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	res := &result{status: resp.StatusCode, hdr: resp.Header, raw: raw, took: time.Since(start), proto: resp.Proto}
	if method == http.MethodPost && resp.StatusCode == 200 && len(raw) > 0 &&
		resp.Header.Get("Content-Encoding") == "" {
		checkBody(h.t, raw)
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(raw); err != nil {
			h.t.Errorf("response not XML: %v: %s", err, raw)
		}
		res.root = doc.Root()
	}
	return res
}

// async posts body in the background.
func (h *harness) async(body string, hdrs ...string) <-chan *result {
	ch := make(chan *result, 1)
	go func() { ch <- h.post(body, hdrs...) }()
	return ch
}

// checkBody applies B-008..B-012 to every response: one namespace-well-
// formed {httpbind}body, no character data in it, no comments, PIs, DTDs
// or entity references beyond the predefined ones.
func checkBody(t testing.TB, raw []byte) {
	t.Helper()
	for _, bad := range []string{"<!--", "<?", "<!DOCTYPE", "stream:stream"} {
		if bytes.Contains(raw, []byte(bad)) {
			t.Errorf("B-010: response contains %q: %s", bad, raw)
		}
	}
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("B-008: response not well-formed: %v: %s", err, raw)
			return
		}
		switch v := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if v.Name.Space != nsBOSH || v.Name.Local != "body" {
					t.Errorf("B-008: root is %v", v.Name)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 && len(v) > 0 {
				t.Errorf("B-012: character data in <body/>: %q", v)
			}
		}
	}
	if roots != 1 {
		t.Errorf("B-008: %d root elements", roots)
	}
	checkPrefixes(t, raw)
	checkConditions(t, raw)
}

// checkPrefixes applies B-009: every prefix used is declared.
func checkPrefixes(t testing.TB, raw []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(raw))
	scopes := []map[string]bool{{"xml": true, "xmlns": true}}
	bound := func(p string) bool {
		for i := len(scopes) - 1; i >= 0; i-- {
			if scopes[i][p] {
				return true
			}
		}
		return p == ""
	}
	for {
		tok, err := d.RawToken()
		if err != nil {
			return
		}
		switch v := tok.(type) {
		case xml.StartElement:
			sc := map[string]bool{}
			for _, a := range v.Attr {
				if a.Name.Space == "xmlns" {
					sc[a.Name.Local] = true
				}
			}
			scopes = append(scopes, sc)
			if !bound(v.Name.Space) {
				t.Errorf("B-009: unbound prefix %q in %s", v.Name.Space, raw)
			}
			for _, a := range v.Attr {
				if !bound(a.Name.Space) {
					t.Errorf("B-009: unbound attribute prefix %q in %s", a.Name.Space, raw)
				}
			}
		case xml.EndElement:
			scopes = scopes[:len(scopes)-1]
		}
	}
}

// bindingConditions are the 'condition' values of XEP-0124 §17.2 (B-172).
var bindingConditions = map[string]bool{
	condBadRequest: true, condHostGone: true, condHostUnknown: true, condImproperAddressing: true,
	condInternalError: true, condItemNotFound: true, condOtherRequest: true, condPolicyViolation: true,
	condRemoteConnFailed: true, condRemoteStreamError: true, condSeeOtherURI: true, condSystemShutdown: true,
	condUndefined: true,
}

// checkConditions applies B-172, B-184 and B-206 to one response.
func checkConditions(t testing.TB, raw []byte) {
	t.Helper()
	doc := etree.NewDocument()
	if doc.ReadFromBytes(raw) != nil || doc.Root() == nil {
		return
	}
	root := doc.Root()
	cond := root.SelectAttrValue("condition", "")
	if cond != "" && !bindingConditions[cond] {
		t.Errorf("B-172: condition %q", cond)
	}
	if cond == condUndefined {
		t.Errorf("B-184: undefined-condition sent")
	}
	if root.FindElement("error") != nil && root.SelectElement("error") != nil {
		if root.SelectAttrValue("type", "") != "terminate" || cond != condRemoteStreamError ||
			root.SelectAttrValue("xmlns:stream", "") != nsStream {
			t.Errorf("B-206: %s", raw)
		}
	}
	for _, a := range root.Attr {
		if a.Key == "stream" && a.Space == "" {
			t.Errorf("B-140: 'stream' attribute sent")
		}
	}
}

// client is one BOSH session as seen by a test.
type client struct {
	jid string // full JID once bound
	h   *harness
	sid string
	R   uint64 // creation rid
	cr  *result
}

var ridSeed atomic.Uint64

func init() { ridSeed.Store(1_000_000_000 + uint64(time.Now().UnixNano()%1_000_000)) }

// nextR returns a fresh initial rid.
func nextR() uint64 { return ridSeed.Add(1000) }

// createBody is create(A) of bosh-requirements §0, with a short wait.
func createBody(rid uint64, extra string) string {
	attrs := map[string]string{"to": "example.com", "xml:lang": "en", "ver": "1.11",
		"wait": "1", "hold": "1", "xmpp:version": "1.0"}
	order := []string{"to", "xml:lang", "ver", "wait", "hold", "xmpp:version"}
	var tail []string
	for _, f := range strings.Fields(extra) {
		name, val, _ := strings.Cut(f, "=")
		if strings.HasPrefix(name, "-") {
			delete(attrs, name[1:])
			continue
		}
		if _, ok := attrs[name]; ok {
			attrs[name] = strings.Trim(val, "'")
			continue
		}
		tail = append(tail, f)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<body %s %s rid='%d'", hb, xb, rid)
	for _, k := range order {
		if v, ok := attrs[k]; ok {
			fmt.Fprintf(&b, " %s='%s'", k, v)
		}
	}
	for _, f := range tail {
		b.WriteString(" " + f)
	}
	b.WriteString("/>")
	return b.String()
}

// create runs create(extra) and fails the test unless a session results.
func (h *harness) create(extra string) *client {
	h.t.Helper()
	R := nextR()
	res := h.post(createBody(R, extra))
	if res.attr("sid") == "" {
		h.t.Fatalf("create(%s): %s", extra, res)
	}
	return &client{h: h, sid: res.attr("sid"), R: R, cr: res}
}

// body is req(n, payload, attrs) of bosh-requirements §0.
func (c *client) body(n int, payload, attrs string) string {
	rid := c.R + uint64(n)
	if payload == "" {
		return fmt.Sprintf("<body %s rid='%d' sid='%s' %s/>", hb, rid, c.sid, attrs)
	}
	return fmt.Sprintf("<body %s rid='%d' sid='%s' %s>%s</body>", hb, rid, c.sid, attrs, payload)
}

func (c *client) req(n int, payload, attrs string) *result {
	c.h.t.Helper()
	return c.h.post(c.body(n, payload, attrs))
}

func (c *client) async(n int, payload, attrs string) <-chan *result {
	return c.h.async(c.body(n, payload, attrs))
}

const restartAttrs = xb + " to='example.com' xml:lang='en' xmpp:restart='true'"

// login authenticates user, restarts and binds resource r (login(u) of
// bosh-requirements §0); the next rid offset is 4.
func (h *harness) login(user, extra string) *client {
	h.t.Helper()
	c := h.create(extra)
	c.mustLogin(user)
	return c
}

func (c *client) mustLogin(user string) {
	t := c.h.t
	t.Helper()
	r := c.req(1, c.h.auth(user, "secret"), "")
	if r.root == nil || r.root.FindElement("success") == nil {
		t.Fatalf("auth: %s", r)
	}
	r = c.req(2, "", restartAttrs)
	if r.root == nil || r.root.FindElement("features") == nil {
		t.Fatalf("restart: %s", r)
	}
	res := "r" + itoa(resSeq.Add(1))
	r = c.req(3, "<iq type='set' id='b1' "+jc+"><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"+res+"</resource></bind></iq>", "")
	if r.root == nil || r.root.FindElement("iq/bind/jid") == nil {
		t.Fatalf("bind: %s", r)
	}
	c.jid = r.root.FindElement("iq/bind/jid").Text()
}

// recv waits for a response with a deadline.
func recv(t testing.TB, ch <-chan *result, within time.Duration) *result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("no response within %v", within)
		return nil
	}
}

// pending reports that ch has not produced a response within d.
func stillHeld(ch <-chan *result, d time.Duration) bool {
	select {
	case <-ch:
		return false
	case <-time.After(d):
		return true
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

var resSeq atomic.Uint64

// msg is a message to the full JID to.
func msg(to, text string) string {
	return "<message to='" + to + "' " + jc + "><body>" + text + "</body></message>"
}

// texts returns the <body/> texts of the messages in r.
func (r *result) texts() []string {
	var out []string
	if r == nil || r.root == nil {
		return nil
	}
	for _, m := range r.root.SelectElements("message") {
		if b := m.SelectElement("body"); b != nil {
			out = append(out, b.Text())
		}
	}
	return out
}

// collect polls with req(*n), req(*n+1)... until want message texts have
// arrived or within has passed.
func (c *client) collect(n *int, want int, within time.Duration) []string {
	c.h.t.Helper()
	var got []string
	deadline := time.Now().Add(within)
	for len(got) < want && time.Now().Before(deadline) {
		r := c.req(*n, "", "")
		*n++
		if r.status != 200 || r.attr("type") == "terminate" {
			c.h.t.Fatalf("collect: %s", r)
		}
		got = append(got, r.texts()...)
	}
	return got
}
