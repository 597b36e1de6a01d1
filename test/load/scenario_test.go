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

// TestEchoHandlerIgnores: messages before the pair is ready, offline ones
// of an earlier run and bounces without a condition do not break the
// handler.
func TestEchoHandlerIgnores(t *testing.T) {
	r := &runner{o: &options{Msgs: 10}}
	p := &pair{done: make(chan struct{})}
	h := r.echoHandler(p, 1)
	parse := func(s string) *elem {
		e, err := parseFastElem(s, []nsDecl{{"", nsClient}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	h(parse("<message><body>3 1</body></message>")) // not ready: its sessions are not set
	p.ready.Store(true)
	h(parse("<message><body>3 1</body><delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/></message>"))
	if n := r.ok.Load(); n != 0 {
		t.Fatalf("%d messages counted", n)
	}
	h(parse("<message type='error'/>"))
	if _, n, first := r.msgs.snapshot(); n != 1 || first != "message bounced: unknown" {
		t.Fatalf("%d errors, %q", n, first)
	}
}
