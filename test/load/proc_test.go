package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	stat := []byte("1234 (par ley) (x)) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 8 0 100 1000000 2000 18446744073709551615\n")
	got, err := parseStatCPU(stat)
	if err != nil || got != 3250*time.Millisecond {
		t.Fatalf("parseStatCPU = %v, %v; want 3.25s", got, err)
	}
	if _, err := parseStatCPU([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("short stat accepted")
	}
	rss, err := parseStatusRSS([]byte("Name:\tparley\nVmPeak:\t  9 kB\nVmRSS:\t   12345 kB\n"))
	if err != nil || rss != 12345 {
		t.Fatalf("parseStatusRSS = %d, %v", rss, err)
	}
}

func TestSampleSelf(t *testing.T) {
	s, err := takeSample(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSKB <= 0 {
		t.Fatalf("own RSS %d kB", s.RSSKB)
	}
}
