package bosh

import (
	"container/heap"
	"sync"
	"time"
)

// wheel is the one timer shared by every session's inactivity clock
// (XEP-0124 §10): a min-heap of deadlines served by one goroutine, so an
// idle session costs a heap entry instead of a timer and a goroutine.
type wheel struct {
	mu    sync.Mutex
	h     deadlines
	timer *time.Timer
	wake  chan struct{}
	stop  chan struct{}
	once  sync.Once
}

type deadline struct {
	at time.Time
	s  *session
}

type deadlines []deadline

func (d deadlines) Len() int           { return len(d) }
func (d deadlines) Less(i, j int) bool { return d[i].at.Before(d[j].at) }
func (d deadlines) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *deadlines) Push(x any)        { *d = append(*d, x.(deadline)) }
func (d *deadlines) Pop() any {
	old := *d
	x := old[len(old)-1]
	old[len(old)-1] = deadline{}
	*d = old[:len(old)-1]
	return x
}

func newWheel() *wheel {
	w := &wheel{wake: make(chan struct{}, 1), stop: make(chan struct{})}
	w.timer = time.NewTimer(time.Hour)
	go w.run()
	return w
}

// add schedules s.checkIdle at (or just after) at.
func (w *wheel) add(s *session, at time.Time) {
	w.mu.Lock()
	heap.Push(&w.h, deadline{at, s})
	first := w.h[0].s == s && w.h[0].at.Equal(at)
	w.mu.Unlock()
	if first {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// close stops the wheel's goroutine.
func (w *wheel) close() { w.once.Do(func() { close(w.stop) }) }

// run fires due deadlines; the sessions re-check their own state.
func (w *wheel) run() {
	for {
		now := time.Now()
		var due []*session
		w.mu.Lock()
		for len(w.h) > 0 && !w.h[0].at.After(now) {
			due = append(due, heap.Pop(&w.h).(deadline).s)
		}
		next := time.Hour
		if len(w.h) > 0 {
			next = w.h[0].at.Sub(now)
		}
		w.mu.Unlock()
		for _, s := range due {
			s.checkIdle(now)
		}
		w.timer.Reset(next)
		select {
		case <-w.timer.C:
		case <-w.wake:
		case <-w.stop:
			w.timer.Stop()
			return
		}
	}
}
