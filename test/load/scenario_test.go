package main

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMessage(t *testing.T) {
	before := time.Now().UnixNano()
	m := message(esc("o'brien@localhost/r&1"), 42)
	e, err := parseFastElem(m, nil)
	if err != nil {
		t.Fatalf("%s: %v", m, err)
	}
	if !e.is(nsClient, "message") || e.attr("to") != "o'brien@localhost/r&1" || e.attr("id") != "m42" || e.attr("type") != "chat" {
		t.Fatalf("message %s parsed as %v %v", m, e, e.Attr)
	}
	seq, ts, _ := strings.Cut(e.child(nsClient, "body").Text, " ")
	n, err := strconv.ParseInt(ts, 10, 64)
	if seq != "42" || err != nil || n < before || n > time.Now().UnixNano() {
		t.Fatalf("body %q", e.child(nsClient, "body").Text)
	}
	long := message(strings.Repeat("x", 300), 1) // longer than the stack buffer
	if !strings.Contains(long, strings.Repeat("x", 300)) {
		t.Fatal("long JID lost")
	}
}
