package app

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/rs/zerolog"
)

// Returning memory to the system.
//
// A burst of logins leaves the Go heap sized for the burst: the runtime
// keeps freed pages for reuse and hands them back slowly, so a server that
// then holds thousands of idle sessions shows a resident size of about
// twice what it uses. While the server is quiet (it allocated less than
// trimQuietBytes in the last trimInterval) and at least trimMinFree bytes
// of heap are free, the trimmer collects and returns them at once
// (runtime/debug.FreeOSMemory). Busy servers are left alone: the pages are
// about to be used again.
const (
	trimInterval   = 2 * time.Second
	trimQuietBytes = 1 << 20
	trimMinFree    = 4 << 20
)

// shouldTrim decides from the bytes allocated since the last look and the
// heap bytes free but still held.
func shouldTrim(allocated, free uint64) bool {
	return allocated < trimQuietBytes && free >= trimMinFree
}

// heapSample reads the cumulative allocations and the free held heap.
type heapSample struct{ samples []metrics.Sample }

func newHeapSample() *heapSample {
	return &heapSample{samples: []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}}
}

func (h *heapSample) read() (allocs, free uint64) {
	metrics.Read(h.samples)
	for i, s := range h.samples {
		if s.Value.Kind() != metrics.KindUint64 {
			continue
		}
		if i == 0 {
			allocs = s.Value.Uint64()
		} else {
			free = s.Value.Uint64()
		}
	}
	return allocs, free
}

// startMemTrim runs the trimmer until the server stops.
func (a *App) startMemTrim(_ context.Context) error {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		trimLoop(trimInterval, stop, a.log)
	}()
	a.started("memory trim", func(context.Context) error {
		close(stop)
		<-done
		return nil
	})
	return nil
}

// trimLoop looks every interval until stop is closed.
func trimLoop(interval time.Duration, stop <-chan struct{}, log zerolog.Logger) {
	hs := newHeapSample()
	last, _ := hs.read()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		allocs, free := hs.read()
		if shouldTrim(allocs-last, free) {
			debug.FreeOSMemory()
			log.Debug().Uint64("free_bytes", free).Msg("returned unused heap memory to the system")
			allocs, _ = hs.read()
		}
		last = allocs
	}
}
