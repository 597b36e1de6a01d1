package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is a logged-in XMPP session over TCP or BOSH.
type session interface {
	JID() string
	// Send sends one stanza (with its xmlns).
	Send(stanza string) error
	// Start hands every stanza received from now on to onElem.
	Start(onElem func(*elem), onErr func(error))
	// Close sends extra stanzas and ends the session.
	Close(extra string) error
}

// echoProcs is GOMAXPROCS during the message exchange of echo.
const echoProcs = 1

const (
	presenceAvailable   = "<presence xmlns='jabber:client'/>"
	presenceUnavailable = "<presence xmlns='jabber:client' type='unavailable'/>"
)

// runner runs one scenario for the share of sessions [lo, hi) of this
// process (pairs for echo). barrier marks the phases; the measured window
// is from "start" to "end".
type runner struct {
	o       *options
	env     *netEnv
	ctx     context.Context
	lo, hi  int
	conc    int
	barrier func(name string) error

	logins recorder // login latencies and every error
	msgs   recorder // one-way message latencies
	ok     atomic.Int64
}

// run runs the scenario and returns what this process measured.
func (r *runner) run() (raw, error) {
	var err error
	var cpuStart, cpuEnd time.Duration
	barrier := r.barrier
	prof := &cpuProfile{path: r.o.CPUProfile}
	defer prof.stop()
	r.barrier = func(name string) error {
		switch name {
		case "start":
			if err := prof.start(); err != nil {
				return err
			}
			cpuStart = selfCPU()
		case "end":
			cpuEnd = selfCPU()
			if err := prof.stop(); err != nil {
				return err
			}
		}
		return barrier(name)
	}
	switch r.o.Scenario {
	case "login":
		err = r.login()
	case "idle":
		err = r.idle()
	case "echo":
		err = r.echo()
	}
	logins, nerr, first := r.logins.snapshot()
	msgs, _, _ := r.msgs.snapshot()
	return raw{
		OK: int(r.ok.Load()), Errors: nerr, FirstErr: first,
		LoginUS: toUS(logins), MsgUS: toUS(msgs),
		ClientCPU: ms(cpuEnd - cpuStart),
	}, err
}

// connect logs in session i over kind ("tcp" or "bosh").
func (r *runner) connect(kind string, i int) (session, error) {
	deadline := time.Now().Add(r.o.LoginTimeout)
	if d, ok := r.ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	a := r.o.account(i)
	start := time.Now()
	var s session
	var err error
	if kind == "tcp" {
		s, err = dialTCP(r.ctx, r.env, r.o.C2S, a, r.o.TLS, r.o.Mech, deadline)
	} else {
		s, err = dialBOSH(r.ctx, r.env, r.o.BOSH, a, r.o.Wait, r.o.Mech, deadline)
	}
	if err != nil {
		err = fmt.Errorf("%s login of %s@%s: %w", kind, a.user, a.domain, err)
		r.logins.fail(err)
		return nil, err
	}
	r.logins.add(time.Since(start))
	return s, nil
}

// forEach calls fn(i) for i in [lo, hi) on conc goroutines, handing out
// no more work once the run's context is done.
func (r *runner) forEach(lo, hi int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(r.conc, max(hi-lo, 1)) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := lo; i < hi && r.ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-r.ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

// login opens and closes sessions as fast as conc allows.
func (r *runner) login() error {
	if err := r.barrier("start"); err != nil {
		return err
	}
	extra := ""
	if r.o.Presence {
		extra = presenceAvailable
	}
	r.forEach(r.lo, r.hi, func(i int) {
		s, err := r.connect(r.o.Transport, i)
		if err != nil {
			return
		}
		r.ok.Add(1)
		s.Close(extra)
	})
	return r.barrier("end")
}

// openAll logs in the sessions [lo, hi) with kind(i), starts them with
// the handler of on(i) and sends initial presence. A session that fails
// stays nil; one lost later is counted in lost and reported to onLost.
func (r *runner) openAll(kind func(i int) string, on func(i int) func(*elem), lost *atomic.Int64, onLost func(i int)) []session {
	out := make([]session, r.hi-r.lo)
	r.forEach(r.lo, r.hi, func(i int) {
		s, err := r.connect(kind(i), i)
		if err != nil {
			return
		}
		var once sync.Once
		s.Start(on(i), func(err error) {
			once.Do(func() {
				lost.Add(1)
				r.logins.fail(fmt.Errorf("session %d: %w", i, err))
				if onLost != nil {
					onLost(i)
				}
			})
		})
		if r.o.Presence {
			s.Send(presenceAvailable)
		}
		out[i-r.lo] = s
	})
	return out
}

// closeAll ends the sessions, conc at a time.
func (r *runner) closeAll(ss []session) {
	ctx := r.ctx
	r.ctx = context.WithoutCancel(ctx) // close even after the timeout
	defer func() { r.ctx = ctx }()
	r.forEach(0, len(ss), func(i int) {
		if ss[i] != nil {
			ss[i].Close(presenceUnavailable)
		}
	})
}

// idle holds sessions with their polls parked for -duration.
func (r *runner) idle() error {
	if err := r.barrier("before"); err != nil {
		return err
	}
	var lost atomic.Int64
	ignore := func(int) func(*elem) { return func(*elem) {} }
	ss := r.openAll(func(int) string { return r.o.Transport }, ignore, &lost, nil)
	defer r.closeAll(ss)
	if err := r.barrier("start"); err != nil {
		return err
	}
	t := time.NewTimer(r.o.Duration)
	select {
	case <-t.C:
	case <-r.ctx.Done():
		t.Stop()
	}
	if err := r.barrier("end"); err != nil {
		return err
	}
	held := int64(0)
	for _, s := range ss {
		if s != nil {
			held++
		}
	}
	r.ok.Store(held - lost.Load())
	return nil
}

// pair is two sessions passing one message back and forth.
type pair struct {
	mu    sync.Mutex
	s     [2]session
	to    [2]string // the escaped JIDs of s
	done  chan struct{}
	once  sync.Once
	last  atomic.Int64 // highest sequence number received
	ready atomic.Bool  // s and to are set
}

func (p *pair) finish() { p.once.Do(func() { close(p.done) }) }

// side returns session i and the escaped JID of the other.
func (p *pair) side(i int) (session, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.s[i], p.to[1-i]
}

// echo runs the message exchange of -pairs pairs (sessions 2p and 2p+1).
func (r *runner) echo() error {
	kinds := strings.SplitN(r.o.Transport, "-", 2)
	pairs := make([]*pair, r.hi-r.lo)
	for i := range pairs {
		pairs[i] = &pair{done: make(chan struct{})}
	}
	plo := r.lo
	r.lo, r.hi = 2*r.lo, 2*r.hi // session indices
	var lost atomic.Int64
	ss := r.openAll(func(i int) string { return kinds[i%2] },
		func(i int) func(*elem) { return r.echoHandler(pairs[i/2-plo], i%2) }, &lost,
		func(i int) { pairs[i/2-plo].finish() }) // a lost session ends its pair
	defer r.closeAll(ss)
	for i, p := range pairs {
		p.mu.Lock()
		p.s = [2]session{ss[2*i], ss[2*i+1]}
		if p.s[0] == nil || p.s[1] == nil {
			p.finish() // its login error is counted
		} else {
			p.to = [2]string{esc(p.s[0].JID()), esc(p.s[1].JID())}
			p.ready.Store(true)
		}
		p.mu.Unlock()
	}
	// The exchange runs on one P. Its goroutines mostly wait for the
	// network, and with more Ps each wake-up also wakes a spinning thread
	// that finds no work and sleeps again: a third of the client's CPU per
	// message went to that. The logins before ran on every P (SCRAM);
	// more client parallelism for the exchange is -procs.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(echoProcs))
	if err := r.barrier("start"); err != nil {
		return err
	}
	for _, p := range pairs {
		if p.s[0] != nil && p.s[1] != nil {
			p.s[0].Send(message(p.to[1], 1))
		}
	}
	for i, p := range pairs {
		select {
		case <-p.done:
		case <-r.ctx.Done():
			r.msgs.fail(fmt.Errorf("pair %d stalled after %d messages: %w", plo+i, p.last.Load(), r.ctx.Err()))
		}
	}
	return r.barrier("end")
}

// message is a chat message to toEsc (an escaped JID) carrying its
// sequence number and send time.
func message(toEsc string, seq int) string {
	var buf [256]byte
	b := append(buf[:0], "<message xmlns='jabber:client' type='chat' to='"...)
	b = append(b, toEsc...)
	b = append(b, "' id='m"...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, "'><body>"...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, "</body></message>"...)
	return string(b)
}

// echoHandler records the latency of each message side receives and
// answers it until the pair has exchanged -msgs messages.
func (r *runner) echoHandler(p *pair, side int) func(*elem) {
	return func(e *elem) {
		if e.Name.Local != "message" || !p.ready.Load() {
			return // before the exchange: perhaps an earlier run's message, kept offline
		}
		if e.child(nsDelay, "delay") != nil {
			return // an offline message of an earlier run (XEP-0203)
		}
		if e.attr("type") == "error" {
			r.msgs.fail(errors.New("message bounced: " + condition(e.child("", "error"), "urn:ietf:params:xml:ns:xmpp-stanzas")))
			p.finish()
			return
		}
		b := e.child("", "body")
		if b == nil {
			return
		}
		seqS, tsS, _ := strings.Cut(b.Text, " ")
		seq, err1 := strconv.Atoi(seqS)
		ts, err2 := strconv.ParseInt(tsS, 10, 64)
		if err1 != nil || err2 != nil {
			return
		}
		r.msgs.add(time.Since(time.Unix(0, ts)))
		r.ok.Add(1)
		p.last.Store(int64(seq))
		if seq >= r.o.Msgs {
			p.finish()
			return
		}
		s, to := p.side(side)
		if err := s.Send(message(to, seq+1)); err != nil {
			r.msgs.fail(err)
			p.finish()
		}
	}
}
