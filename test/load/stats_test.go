package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond},
		{100, 100 * time.Millisecond}, {0.1, time.Millisecond}}
	for _, c := range cases {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("empty p50 = %v", got)
	}
	// Nearest rank on a small set: p50 of 1..5 is 3, p99 is 5.
	small := []time.Duration{1, 2, 3, 4, 5}
	if percentile(small, 50) != 3 || percentile(small, 99) != 5 || percentile(small, 20) != 1 {
		t.Errorf("small set: p50=%v p99=%v p20=%v", percentile(small, 50), percentile(small, 99), percentile(small, 20))
	}
}

func TestSummarize(t *testing.T) {
	s := []time.Duration{4 * time.Millisecond, time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	got := summarize(s)
	want := Latency{Count: 4, P50: 2, P90: 4, P99: 4, Max: 4, Mean: 2.5}
	if got != want {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
	if summarize(nil) != (Latency{}) {
		t.Fatal("summarize(nil) not zero")
	}
	if got := summarize([]time.Duration{1500 * time.Microsecond}); got.P50 != 1.5 {
		t.Fatalf("sub-millisecond precision lost: %v", got.P50)
	}
}
