package app

import (
	"runtime"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestShouldTrim(t *testing.T) {
	cases := []struct {
		allocated, free uint64
		want            bool
	}{
		{0, 0, false},
		{0, trimMinFree, true},
		{trimQuietBytes - 1, 64 << 20, true},
		{trimQuietBytes, 64 << 20, false}, // busy: pages about to be reused
		{1 << 10, trimMinFree - 1, false}, // nothing worth returning
	}
	for _, c := range cases {
		if got := shouldTrim(c.allocated, c.free); got != c.want {
			t.Errorf("shouldTrim(%d, %d) = %v", c.allocated, c.free, got)
		}
	}
}

// TestTrimLoopReturnsMemory: after a burst of garbage and a quiet period
// the loop hands the freed heap back (heap/released grows), and it stops
// when told.
func TestTrimLoopReturnsMemory(t *testing.T) {
	hs := newHeapSample()
	burst := make([][]byte, 0, 4096)
	for range 4096 {
		burst = append(burst, make([]byte, 8<<10)) // 32 MiB
	}
	runtime.KeepAlive(burst)
	burst = nil
	runtime.GC()
	_, freeBefore := hs.read()
	if freeBefore < trimMinFree {
		t.Fatalf("the burst left only %d bytes free", freeBefore)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { trimLoop(10*time.Millisecond, stop, zerolog.Nop()); close(done) }()
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, free := hs.read(); free < trimMinFree {
			break
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("free heap never returned")
		}
	}
	close(stop)
	<-done
}
