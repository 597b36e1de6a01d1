package robust

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// TestSlowConsumer checks that a client that sends but never reads is
// disconnected once its out-queue overflows (c2s.out_queue), promptly and
// with bounded memory, and that the server goes on serving.
func TestSlowConsumer(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.C2S.OutQueue = 16 }))
	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	cl := s.login("alice", "secret")
	core := s.App.Core()
	before := core.SessionCount()
	ping := strings.Repeat(`<iq type='get' to='localhost' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`, 100)
	go func() {
		for {
			cl.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := cl.c.Write([]byte(ping)); err != nil {
				return
			}
		}
	}()
	waitFor(t, 10*time.Second, "the slow consumer to be disconnected", func() bool { return core.SessionCount() < before })
	s.login("bob", "secret").ping("after")
}

// TestSlowConsumerBlocked checks a client whose socket is full: it reads
// nothing while another user sends it large messages. It is disconnected
// soon after its out-queue overflows, not after the write timeout.
func TestSlowConsumerBlocked(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.C2S.OutQueue = 1000 }))
	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	alice := s.login("alice", "secret")
	alice.send(`<presence/>`)
	bob := s.login("bob", "secret")
	full := s.App.Core().Registry().Lookup(mustJID("alice@localhost/r"))
	if full == nil {
		t.Fatal("alice is not bound")
	}
	msg := `<message to='alice@localhost/r' type='chat'><body>` + strings.Repeat("x", 8000) + `</body></message>`
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			bob.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := bob.c.Write([]byte(msg)); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	waitFor(t, 20*time.Second, "alice's session to end", func() bool { return full.Context().Err() != nil })
	t.Logf("disconnected after %v", time.Since(start))
}
