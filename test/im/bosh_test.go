package im

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"mellium.im/xmlstream"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/test/im/imtest"
)

// A small BOSH client (XEP-0124, XEP-0206) over HTTPS: negotiation runs
// one request at a time; afterwards it keeps one empty request parked on
// the server whenever nothing else is outstanding, and sends each stanza
// on a request of its own, never more than 'requests' at once (so that it
// is never overactive, XEP-0124 §11). Payloads are handed on in rid order.

const (
	nsBOSH  = "http://jabber.org/protocol/httpbind"
	nsXBOSH = "urn:xmpp:xbosh"
)

type boshConn struct {
	url    string
	hc     *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	in     chan<- string

	mu          sync.Mutex // guards the fields below
	cond        *sync.Cond
	sid         string
	rid         uint64
	requests    int
	outstanding int
	stopping    bool // no new polls
	stopped     bool // the session is over
	err         error
	next        uint64              // rid whose payloads are handed on next
	ready       map[uint64][]string // payloads of answered rids waiting for their turn
	wg          sync.WaitGroup
}

// loginBOSH opens a BOSH session over HTTPS, authenticates with PLAIN
// (the transport is encrypted) and binds resource.
func (s *srv) loginBOSH(local, resource string) *client {
	s.t.Helper()
	c := newClient(s.t)
	ctx, cancel := context.WithCancel(context.Background())
	b := &boshConn{
		url: s.boshURL, ctx: ctx, cancel: cancel, in: c.in, requests: 2, ready: map[uint64][]string{},
		hc: &http.Client{Transport: &http.Transport{TLSClientConfig: s.tls}, Timeout: 30 * time.Second},
		// XEP-0124 §7: a random starting rid, far from overflowing.
		rid: uint64(time.Now().UnixNano()%1e9) + 1000,
	}
	b.cond = sync.NewCond(&b.mu)
	full, err := b.negotiate(local, resource)
	if err != nil {
		cancel()
		s.t.Fatalf("BOSH login %s: %v", local, err)
	}
	c.jid = full
	c.write = b.send
	c.stop = b.terminate
	b.mu.Lock()
	b.next = b.rid + 1
	b.fireLocked("", "")
	b.mu.Unlock()
	s.vanish[c] = b.vanish
	return c
}

// negotiate runs session creation, SASL PLAIN, the restart and resource
// binding (XEP-0206 §4-§6), one request at a time.
func (b *boshConn) negotiate(local, resource string) (jid.JID, error) {
	attrs := `content='text/xml; charset=utf-8' hold='1' to='localhost' ver='1.6' wait='10' ` +
		`xml:lang='en' xmpp:version='1.0' xmlns:xmpp='` + nsXBOSH + `'`
	if _, err := b.await(attrs, "", "<mechanisms"); err != nil {
		return jid.JID{}, err
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + local + "\x00" + imtest.Password))
	if _, err := b.await("", `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>`+auth+`</auth>`,
		"<success"); err != nil {
		return jid.JID{}, err
	}
	restart := `xmpp:restart='true' to='localhost' xml:lang='en' xmlns:xmpp='` + nsXBOSH + `'`
	if _, err := b.await(restart, "", "<bind"); err != nil {
		return jid.JID{}, err
	}
	got, err := b.await("", `<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>`+
		resource+`</resource></bind></iq>`, "<jid>")
	if err != nil {
		return jid.JID{}, err
	}
	_, rest, _ := strings.Cut(got, "<jid>")
	j, _, _ := strings.Cut(rest, "</jid>")
	return jid.Parse(j)
}

// await sends one request, then empty ones, until a payload containing
// want arrives; it returns that payload.
func (b *boshConn) await(attrs, payload, want string) (string, error) {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		b.rid++
		got, term, err := b.post(b.rid, attrs, payload)
		if err != nil {
			return "", err
		}
		if term != "" {
			return "", fmt.Errorf("terminated: %s", term)
		}
		for _, x := range got {
			if strings.Contains(x, want) {
				return x, nil
			}
			if strings.Contains(x, "<failure") {
				return "", fmt.Errorf("failed: %s", x)
			}
		}
		attrs, payload = "", ""
	}
	return "", fmt.Errorf("no %s within %v", want, wait)
}

// post sends one <body/> and returns its payloads serialised, and the
// condition when the session was terminated.
func (b *boshConn) post(rid uint64, attrs, payload string) (payloads []string, term string, err error) {
	body := `<body rid='` + strconv.FormatUint(rid, 10) + `' xmlns='` + nsBOSH + `'`
	if b.sid != "" {
		body += ` sid='` + b.sid + `'`
	}
	if attrs != "" {
		body += " " + attrs
	}
	body += ">" + payload + "</body>"
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, b.url, strings.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("HTTP %s: %s", resp.Status, raw)
	}
	return b.parse(raw)
}

// parse reads a response <body/>: its payloads, and its terminate condition.
func (b *boshConn) parse(raw []byte) ([]string, string, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	var out []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, "", errors.New("response without <body/>")
		}
		if err != nil {
			return nil, "", err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		term := ""
		for _, a := range start.Attr {
			switch a.Name.Local {
			case "sid":
				b.sid = a.Value
			case "requests":
				if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
					b.requests = n
				}
			case "type":
				if a.Value == "terminate" {
					term = "terminate"
				}
			case "condition":
				term = a.Value
			}
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, "", err
			}
			switch t := tok.(type) {
			case xml.StartElement:
				x, err := serialise(xmlstream.MultiReader(xmlstream.Token(t), d))
				if err != nil {
					return nil, "", err
				}
				out = append(out, x)
			case xml.EndElement:
				return out, term, nil
			}
		}
	}
}

// fireLocked sends one request in the background. The caller holds mu.
func (b *boshConn) fireLocked(attrs, payload string) {
	b.rid++
	b.outstanding++
	b.wg.Add(1)
	go b.roundTrip(b.rid, attrs, payload)
}

// roundTrip runs one request and hands its payloads on in rid order;
// when nothing is outstanding any more, it parks a new empty request.
func (b *boshConn) roundTrip(rid uint64, attrs, payload string) {
	defer b.wg.Done()
	got, term, err := b.post(rid, attrs, payload)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outstanding--
	b.ready[rid] = got
	for {
		p, ok := b.ready[b.next]
		if !ok {
			break
		}
		delete(b.ready, b.next)
		b.next++
		for _, x := range p {
			b.in <- x
		}
	}
	if err != nil || term != "" {
		if b.err == nil && !b.stopping {
			b.err = fmt.Errorf("BOSH session ended: %v %s", err, term)
		}
		b.stopped = true
	}
	if !b.stopped && !b.stopping && b.outstanding == 0 {
		b.fireLocked("", "")
	}
	b.cond.Broadcast()
}

// send sends one stanza on a request of its own.
func (b *boshConn) send(x string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.outstanding >= b.requests && !b.stopped {
		b.cond.Wait()
	}
	if b.stopped {
		return b.err
	}
	b.fireLocked("", x)
	return nil
}

// terminate ends the session (XEP-0124 §13) and waits for the requests.
func (b *boshConn) terminate() error {
	b.mu.Lock()
	for b.outstanding >= b.requests && !b.stopped {
		b.cond.Wait()
	}
	b.stopping = true
	if !b.stopped {
		b.fireLocked("type='terminate'", "")
	}
	b.mu.Unlock()
	return b.wait()
}

// vanish drops every request without terminating: the client just stops
// polling, as a closed browser tab does.
func (b *boshConn) vanish() {
	b.mu.Lock()
	b.stopping = true
	b.mu.Unlock()
	b.cancel()
	b.wait()
}

func (b *boshConn) wait() error {
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		b.cancel()
		return nil
	case <-time.After(wait):
		b.cancel()
		return errors.New("BOSH requests still outstanding")
	}
}
