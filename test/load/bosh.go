package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// boshConn is an XMPP session over BOSH (XEP-0124, XEP-0206). During
// negotiation it runs one request at a time; after Start it keeps one
// request parked on the server at all times and sends stanzas on extra
// requests, up to the session's 'requests' limit.
type boshConn struct {
	env    *netEnv
	url    string
	domain string
	wait   time.Duration
	jid    string

	mu          sync.Mutex
	sid         string
	rid         uint64
	requests    int
	queue       []*elem  // negotiation: received, not yet read
	outstanding int      // async: requests in flight
	pending     []string // async: stanzas waiting for a free request
	closed      bool     // no more async requests
	ended       bool     // Close was called
	onElem      func(*elem)
	onErr       func(error)
	inflight    sync.WaitGroup
}

// dialBOSH creates a session at url (XEP-0124 §7, XEP-0206 §3) and logs a
// in before deadline.
func dialBOSH(ctx context.Context, env *netEnv, url string, a account, wait time.Duration, mech string, deadline time.Time) (*boshConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	b := &boshConn{env: env, url: url, domain: a.domain, wait: wait, requests: 2}
	var r [8]byte
	rand.Read(r[:])
	// XEP-0124 §14.1: a large random start, far below 2^53.
	b.rid = 1_000_000 + binary.BigEndian.Uint64(r[:])%(1<<40)
	features, err := b.create(ctx)
	if err != nil {
		return nil, err
	}
	nl := &boshLink{b: b, ctx: ctx}
	if features == nil {
		if features, err = nl.features(); err != nil {
			return nil, err
		}
	}
	if b.jid, err = login(nl, features, a, mech); err != nil {
		b.terminate("")
		return nil, err
	}
	return b, nil
}

// create sends the session creation request and returns the stream
// features when the response carries them.
func (b *boshConn) create(ctx context.Context) (*elem, error) {
	attrs := fmt.Sprintf(" content='text/xml; charset=utf-8' hold='1' to='%s' wait='%d' ver='1.11'"+
		" xml:lang='en' xmpp:version='1.0' xmlns:xmpp='%s'", esc(b.domain), int(b.wait/time.Second), nsXBOSH)
	body, err := b.post(ctx, b.nextRID(), attrs, "")
	if err != nil {
		return nil, fmt.Errorf("BOSH session creation: %w", err)
	}
	b.sid = body.attr("sid")
	if b.sid == "" {
		return nil, errors.New("BOSH session creation: response without sid")
	}
	if n, err := strconv.Atoi(body.attr("requests")); err == nil && n >= 1 {
		b.requests = n
	}
	if w, err := strconv.Atoi(body.attr("wait")); err == nil && w > 0 {
		b.wait = time.Duration(w) * time.Second
	}
	var features *elem
	for _, k := range body.Kids {
		if k.is(nsStream, "features") {
			features = k
		} else {
			b.queue = append(b.queue, k)
		}
	}
	return features, nil
}

func (b *boshConn) nextRID() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rid++
	return b.rid
}

// post sends one <body/> and returns the response body element. A
// terminal binding condition is an error.
func (b *boshConn) post(ctx context.Context, rid uint64, attrs, payload string) (*elem, error) {
	var sb strings.Builder
	sb.WriteString("<body rid='")
	sb.WriteString(strconv.FormatUint(rid, 10))
	if b.sid != "" {
		sb.WriteString("' sid='")
		sb.WriteString(b.sid)
	}
	sb.WriteString("' xmlns='" + nsBOSH + "'")
	sb.WriteString(attrs)
	if payload == "" {
		sb.WriteString("/>")
	} else {
		sb.WriteString(">" + payload + "</body>")
	}
	ctx, cancel := context.WithTimeout(ctx, b.wait+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, strings.NewReader(sb.String()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := b.env.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("BOSH: HTTP %s", resp.Status)
	}
	dec := xml.NewDecoder(io.LimitReader(resp.Body, 16<<20))
	start, err := openWrapper(dec, nsBOSH, "body")
	if err != nil {
		return nil, fmt.Errorf("BOSH response: %w", err)
	}
	body, err := readElem(dec, start, 1)
	if err != nil {
		return nil, fmt.Errorf("BOSH response: %w", err)
	}
	if body.attr("type") == "terminate" {
		te := &terminateError{cond: body.attr("condition")}
		if se := body.child(nsStream, "error"); se != nil {
			te.cond += " " + streamErr(se).Error()
		}
		return nil, te
	}
	return body, nil
}

// terminateError is a response of type 'terminate' (XEP-0124 §17).
type terminateError struct{ cond string }

func (e *terminateError) Error() string { return "BOSH terminate: " + e.cond }

// maxEmptyPolls bounds the empty responses one negotiation step waits
// through.
const maxEmptyPolls = 20

// boshLink is the sequential view of a session during negotiation.
type boshLink struct {
	b   *boshConn
	ctx context.Context
}

func (l *boshLink) send(raw string) error {
	body, err := l.b.post(l.ctx, l.b.nextRID(), "", raw)
	if err != nil {
		return err
	}
	l.b.queue = append(l.b.queue, body.Kids...)
	return nil
}

// recv polls with empty requests until the server has sent something,
// at most maxEmptyPolls times.
func (l *boshLink) recv() (*elem, error) {
	for n := 0; len(l.b.queue) == 0; n++ {
		if n == maxEmptyPolls {
			return nil, fmt.Errorf("BOSH: nothing received after %d polls", n)
		}
		if err := l.send(""); err != nil {
			return nil, err
		}
	}
	e := l.b.queue[0]
	l.b.queue = l.b.queue[1:]
	return e, nil
}

// restart asks for a stream restart (XEP-0206 §5).
func (l *boshLink) restart() (*elem, error) {
	attrs := " to='" + esc(l.b.domain) + "' xml:lang='en' xmpp:restart='true' xmlns:xmpp='" + nsXBOSH + "'"
	body, err := l.b.post(l.ctx, l.b.nextRID(), attrs, "")
	if err != nil {
		return nil, err
	}
	l.b.queue = append(l.b.queue, body.Kids...)
	return l.features()
}

// features reads until stream features arrive.
func (l *boshLink) features() (*elem, error) {
	for range 10 {
		e, err := recvTop(l)
		if err != nil {
			return nil, err
		}
		if e.is(nsStream, "features") {
			return e, nil
		}
	}
	return nil, errors.New("BOSH: no stream features")
}

// JID returns the bound full JID.
func (b *boshConn) JID() string { return b.jid }

// Start begins the long-polling loop; every received stanza goes to
// onElem, a failed request (unless after Close) to onErr.
func (b *boshConn) Start(onElem func(*elem), onErr func(error)) {
	b.mu.Lock()
	b.onElem, b.onErr = onElem, onErr
	queued := b.queue
	b.queue = nil
	b.fireLocked("")
	b.mu.Unlock()
	for _, e := range queued {
		onElem(e)
	}
}

// Send sends a stanza on a new request, or queues it for the next one
// when 'requests' are already in flight (XEP-0124 §11).
func (b *boshConn) Send(stanza string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("BOSH session closed")
	}
	if b.outstanding < b.requests {
		b.fireLocked(stanza)
	} else {
		b.pending = append(b.pending, stanza)
	}
	return nil
}

// fireLocked starts a request carrying payload. b.mu is held.
func (b *boshConn) fireLocked(payload string) {
	b.rid++
	rid := b.rid
	b.outstanding++
	b.inflight.Add(1)
	go b.roundTrip(rid, payload)
}

// roundTrip runs one async request and keeps one request parked after it.
func (b *boshConn) roundTrip(rid uint64, payload string) {
	defer b.inflight.Done()
	body, err := b.post(context.Background(), rid, "", payload)
	b.mu.Lock()
	b.outstanding--
	if b.closed {
		b.mu.Unlock()
		return
	}
	if err != nil {
		b.closed = true
		b.mu.Unlock()
		b.onErr(err)
		return
	}
	if len(b.pending) > 0 && b.outstanding < b.requests {
		b.fireLocked(strings.Join(b.pending, ""))
		b.pending = nil
	} else if b.outstanding == 0 {
		b.fireLocked("")
	}
	onElem := b.onElem
	b.mu.Unlock()
	// Outside the lock: the handler may Send.
	for _, k := range body.Kids {
		onElem(k)
	}
}

// Close terminates the session (XEP-0124 §13) carrying extra, and waits
// for the requests in flight, which the server answers.
func (b *boshConn) Close(extra string) error {
	b.mu.Lock()
	if b.ended {
		b.mu.Unlock()
		return nil
	}
	b.ended, b.closed = true, true
	b.mu.Unlock()
	err := b.terminate(extra)
	waitGroupTimeout(&b.inflight, 10*time.Second)
	return err
}

func (b *boshConn) terminate(extra string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.post(ctx, b.nextRID(), " type='terminate'", extra)
	var te *terminateError
	if errors.As(err, &te) && te.cond == "" {
		return nil // some servers answer a terminate in kind
	}
	return err
}

// waitGroupTimeout waits for wg at most d.
func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
