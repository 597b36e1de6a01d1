package bosh

import (
	"sync/atomic"
	"time"
)

// workers runs the poller's events on goroutines that are kept a while
// after their task: a fresh goroutine per request would grow its stack
// from scratch through the whole request path each time. A task never
// waits for a worker: when none is free it gets a new goroutine, so one
// slow task cannot hold up the others.
type workers struct {
	tasks chan func()
	idle  atomic.Int32 // workers waiting for a task
}

// maxIdleWorkers bounds the goroutines kept waiting; workerLinger is how
// long one waits before it exits.
const (
	maxIdleWorkers = 64
	workerLinger   = 10 * time.Second
)

func newWorkers() *workers { return &workers{tasks: make(chan func())} }

// do runs task on a free worker or a new goroutine; it never blocks.
func (w *workers) do(task func()) {
	select {
	case w.tasks <- task:
	default:
		go w.run(task)
	}
}

// run does task, then serves further tasks until it has waited
// workerLinger for one, or enough workers wait already.
func (w *workers) run(task func()) {
	task()
	t := time.NewTimer(workerLinger)
	defer t.Stop()
	for {
		if w.idle.Add(1) > maxIdleWorkers {
			w.idle.Add(-1)
			return
		}
		select {
		case task := <-w.tasks:
			w.idle.Add(-1)
			task()
			t.Reset(workerLinger)
		case <-t.C:
			w.idle.Add(-1)
			return
		}
	}
}
