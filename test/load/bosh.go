package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
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
	target *httpTarget
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
	idle        []*httpConn // connections between requests
	shut        bool        // connections are closed, not kept
	work        chan boshJob
	workers     int // started
	idleWorkers int // waiting on work
	closedWork  bool
}

// dialBOSH creates a session at url (XEP-0124 §7, XEP-0206 §3) and logs a
// in before deadline.
func dialBOSH(ctx context.Context, env *netEnv, url string, a account, wait time.Duration, mech string, deadline time.Time) (*boshConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	target, err := newHTTPTarget(env, url)
	if err != nil {
		return nil, err
	}
	b := &boshConn{env: env, url: url, target: target, domain: a.domain, wait: wait, requests: 2}
	var r [8]byte
	rand.Read(r[:])
	// XEP-0124 §14.1: a large random start, far below 2^53.
	b.rid = 1_000_000 + binary.BigEndian.Uint64(r[:])%(1<<40)
	features, err := b.create(ctx)
	if err != nil {
		b.shutdown()
		return nil, err
	}
	nl := &boshLink{b: b, ctx: ctx}
	if features == nil {
		if features, err = nl.features(); err != nil {
			b.shutdown()
			return nil, err
		}
	}
	if b.jid, err = login(nl, features, a, mech); err != nil {
		b.terminate("")
		b.shutdown()
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
	// Requests without a deadline of their own (the session's polls) keep
	// a connection's deadline that is up to slack earlier than wait+30s.
	deadline, slack := time.Now().Add(b.wait+30*time.Second), 10*time.Second
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline, slack = d, 0
	}
	hc, err := b.getConn(ctx, deadline)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", b.url, err)
	}
	req := b.appendBody(hc.request(b.target), rid, attrs, payload)
	resp, err := b.exchange(ctx, hc, req, deadline, slack)
	var he *httpError
	if errors.As(err, &he) && he.sentNothing {
		// The server had closed the idle connection: send the request
		// again, the same rid, on a new one (XEP-0124 §14.3).
		if hc, err = b.target.dial(ctx, deadline); err == nil {
			req = append(hc.request(b.target), req[b.target.reserve():]...)
			resp, err = b.exchange(ctx, hc, req, deadline, slack)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", b.url, err)
	}
	// The body is in hc's buffer until its next request: parse, then let
	// the connection go.
	var body *elem
	if resp.status == 200 {
		body, err = parseBOSHBody(resp.body)
	}
	if resp.close {
		hc.c.Close()
	} else {
		b.putConn(hc)
	}
	if resp.status != 200 {
		return nil, fmt.Errorf("BOSH: HTTP %d %s", resp.status, resp.reason)
	}
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

// exchange runs one round trip on hc, which it closes on failure. A
// context that can end (the login's) ends it early.
func (b *boshConn) exchange(ctx context.Context, hc *httpConn, req []byte, deadline time.Time, slack time.Duration) (httpResponse, error) {
	if ctx.Done() == nil {
		resp, err := hc.roundTrip(b.target, req, deadline, slack)
		if err != nil {
			hc.c.Close()
		}
		return resp, err
	}
	stop := context.AfterFunc(ctx, func() { hc.c.SetDeadline(time.Unix(1, 0)) })
	resp, err := hc.roundTrip(b.target, req, deadline, slack)
	if !stop() { // the deadline was spoilt: the connection is done
		resp.close = true
		if err != nil {
			err = ctx.Err()
		}
	}
	if err != nil {
		hc.c.Close()
	}
	return resp, err
}

// appendBody appends the <body/> of a request to dst.
func (b *boshConn) appendBody(dst []byte, rid uint64, attrs, payload string) []byte {
	dst = append(dst, "<body rid='"...)
	dst = strconv.AppendUint(dst, rid, 10)
	if b.sid != "" {
		dst = append(dst, "' sid='"...)
		dst = append(dst, b.sid...)
	}
	dst = append(dst, "' xmlns='"+nsBOSH+"'"...)
	dst = append(dst, attrs...)
	if payload == "" {
		return append(dst, "/>"...)
	}
	dst = append(dst, '>')
	dst = append(dst, payload...)
	return append(dst, "</body>"...)
}

// getConn returns an idle connection of the session or a new one.
func (b *boshConn) getConn(ctx context.Context, deadline time.Time) (*httpConn, error) {
	b.mu.Lock()
	if n := len(b.idle); n > 0 {
		hc := b.idle[n-1]
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		return hc, nil
	}
	b.mu.Unlock()
	return b.target.dial(ctx, deadline)
}

// putConn keeps hc for the next request, unless the session is over.
func (b *boshConn) putConn(hc *httpConn) {
	b.mu.Lock()
	if !b.shut {
		b.idle = append(b.idle, hc)
		hc = nil
	}
	b.mu.Unlock()
	if hc != nil {
		hc.c.Close()
	}
}

// shutdown closes the idle connections, and those of requests still in
// flight when they end.
func (b *boshConn) shutdown() {
	b.mu.Lock()
	idle := b.idle
	b.idle, b.shut = nil, true
	if b.work != nil && !b.closedWork {
		close(b.work) // the idle workers end
		b.closedWork = true
	}
	b.mu.Unlock()
	for _, hc := range idle {
		hc.c.Close()
	}
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
	b.work = make(chan boshJob, b.requests+1)
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

// boshJob is one asynchronous request.
type boshJob struct {
	rid     uint64
	payload string
}

// fireLocked starts a request carrying payload, on an idle worker of the
// session or a new one. b.mu is held.
func (b *boshConn) fireLocked(payload string) {
	job := b.jobLocked(payload)
	if b.idleWorkers > 0 {
		b.idleWorkers--
		b.work <- job // buffered for every worker: never blocks
		return
	}
	b.workers++
	go b.worker(job)
}

// jobLocked numbers a request and counts it in flight. b.mu is held.
func (b *boshConn) jobLocked(payload string) boshJob {
	b.rid++
	b.outstanding++
	b.inflight.Add(1)
	return boshJob{b.rid, payload}
}

// worker runs requests until the session ends. Workers live as long as
// the session, at most 'requests' + 1 of them, so that a request does not
// pay for a new goroutine and for growing its stack.
func (b *boshConn) worker(job boshJob) {
	for {
		next, ok := b.roundTrip(job)
		if ok {
			job = next
			continue
		}
		b.mu.Lock()
		if b.shut {
			b.mu.Unlock()
			return
		}
		b.idleWorkers++
		b.mu.Unlock()
		if job, ok = <-b.work; !ok {
			return
		}
	}
}

// roundTrip runs one async request and keeps one request parked after it.
// The next request, when the response carried nothing to hand to onElem,
// is returned for the worker to run itself; otherwise it goes to another
// worker, since the handlers run meanwhile.
func (b *boshConn) roundTrip(job boshJob) (next boshJob, self bool) {
	defer b.inflight.Done()
	body, err := b.post(context.Background(), job.rid, "", job.payload)
	b.mu.Lock()
	b.outstanding--
	if b.closed {
		b.mu.Unlock()
		return next, false
	}
	if err != nil {
		b.closed = true
		b.mu.Unlock()
		b.onErr(err)
		return next, false
	}
	payload, fire := "", false
	if len(b.pending) > 0 && b.outstanding < b.requests {
		payload, fire = strings.Join(b.pending, ""), true
		b.pending = nil
	} else if b.outstanding == 0 {
		fire = true
	}
	if fire && len(body.Kids) == 0 {
		next, self = b.jobLocked(payload), true
	} else if fire {
		b.fireLocked(payload)
	}
	onElem := b.onElem
	b.mu.Unlock()
	// Outside the lock: the handler may Send.
	for _, k := range body.Kids {
		onElem(k)
	}
	return next, self
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
	b.shutdown()
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
