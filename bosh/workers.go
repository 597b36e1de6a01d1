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
		task, ok := w.wait(t)
		w.idle.Add(-1)
		if !ok {
			return
		}
		task()
		t.Reset(workerLinger)
	}
}

// waitDepth is stack a waiting worker keeps in use. The garbage collector
// halves a goroutine's stack when it uses less than a quarter of it, and
// a worker waits near the top of its stack: without this every collection
// would shrink the idle workers, and their next request would grow them
// again through the whole request path, copying the stack each time.
const waitDepth = 8 << 10

// wait blocks for the next task from a frame waitDepth deep.
//
//go:noinline
func (w *workers) wait(t *time.Timer) (func(), bool) {
	var pad [waitDepth]byte
	pad[0] = 1
	keep(&pad)
	select {
	case task := <-w.tasks:
		return task, true
	case <-t.C:
		return nil, false
	}
}

// keep stops the compiler from dropping pad.
//
//go:noinline
func keep(*[waitDepth]byte) {}
