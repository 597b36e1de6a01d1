package server

import (
	"context"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/stream"
)

// TestHandlerPanic checks the last line of defence: a handler that panics
// ends only its caller's session, with <internal-server-error/>, and the
// panic is counted so that tests notice it.
func TestHandlerPanic(t *testing.T) {
	c := newCore(t, Options{}, users())
	c.Router().HandleIQ(IQAccount, "urn:example:p", "q", func(context.Context, *IQ) (*etree.Element, error) {
		var m map[string]int
		m["boom"]++ // a nil map write: a bug
		return nil, nil
	})
	ended := make(chan struct{})
	c.OnSessionEnd(func(*Session, error) { panic("hook bug") })
	c.OnSessionEnd(func(*Session, error) { close(ended) }) // later hooks still run
	a := login(t, c, "alice", "a", "pc")
	b := login(t, c, "bob", "b", "phone")
	if st := a.send("<iq type='set' id='p'><q xmlns='urn:example:p'/></iq>"); st != StepClose {
		t.Fatalf("step %v after a panic, want StepClose", st)
	}
	closed, err := a.rec.state()
	if !closed || err == nil || err.Condition != stream.InternalServerError {
		t.Fatalf("closed=%v with %v, want <internal-server-error/>", closed, err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the session end hooks did not all run")
	}
	if n := c.Panics(); n != 2 {
		t.Fatalf("Panics() = %d, want 2 (handler and hook)", n)
	}
	b.send("<iq type='get' id='ping' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	b.expect(`type="result"`, `id="ping"`)
}
