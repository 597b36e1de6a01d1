package offline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/offline"
	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func setup(t *testing.T, limit int) *server.Core {
	return setupWith(t, limit, server.Options{})
}

func setupWith(t *testing.T, limit int, opts server.Options) *server.Core {
	core := imtest.CoreWith(t, opts, "juliet", "romeo")
	rs := roster.New(core, roster.Options{})
	rs.Register()
	ps := presence.New(core, rs)
	ps.Register()
	offline.New(core, offline.Options{Limit: limit}).Register(ps)
	return core
}

func online(t *testing.T, core *server.Core, user, res, prio string) *imtest.Client {
	c := imtest.Login(t, core, user, res)
	c.Send(`<presence><priority>` + prio + `</priority></presence>`)
	c.Drain()
	return c
}

func TestDeliveryRules(t *testing.T) {
	core := setup(t, 0)
	r := online(t, core, "romeo", "orchard", "0")
	a := online(t, core, "juliet", "a", "5")
	b := online(t, core, "juliet", "b", "5")
	c := online(t, core, "juliet", "c", "1")
	n := online(t, core, "juliet", "n", "-1")
	a.Drain()
	b.Drain()
	c.Drain()

	r.Send(`<message to='juliet@localhost' type='chat' id='m1'><body>hi</body></message>`)
	a.Expect(`id="m1"|to="juliet@localhost"|from="romeo@localhost/orchard"`)
	b.Expect(`id="m1"`)
	c.ExpectNone()
	n.ExpectNone()

	r.Send(`<message to='juliet@localhost' type='headline' id='h1'><body>news</body></message>`)
	a.Expect(`id="h1"`)
	b.Expect(`id="h1"`)
	c.Expect(`id="h1"`)
	n.ExpectNone()

	r.Send(`<message to='juliet@localhost/n' id='f1'><body>direct</body></message>`)
	n.Expect(`id="f1"`)

	r.Send(`<message to='juliet@localhost' type='groupchat' id='g1'><body>x</body></message>`)
	r.Expect(`id="g1"|type="error"|<service-unavailable`)
	a.ExpectNone()

	// A full JID without a session: chat falls back to the bare JID,
	// normal is bounced, headline ignored.
	r.Send(`<message to='juliet@localhost/gone' type='chat' id='c2'><body>x</body></message>`)
	a.Expect(`id="c2"|to="juliet@localhost/gone"`)
	b.Expect(`id="c2"`)
	r.Send(`<message to='juliet@localhost/gone' id='n2'><body>x</body></message>`)
	r.Expect(`id="n2"|type="error"|<service-unavailable`)
	r.Send(`<message to='juliet@localhost/gone' type='headline' id='h2'><body>x</body></message>`)
	r.ExpectNone()

	r.Send(`<message to='nobody@localhost' id='x1'><body>x</body></message>`)
	r.Expect(`id="x1"|type="error"|<service-unavailable`)
	// Errors are never bounced back.
	r.Send(`<message to='nobody@localhost' type='error' id='x2'/>`)
	r.ExpectNone()
}

func TestOfflineStorage(t *testing.T) {
	core := setup(t, 2)
	r := online(t, core, "romeo", "orchard", "0")
	r.Send(`<message to='juliet@localhost' type='chat' id='o1'><body>one</body></message>`)
	r.Send(`<message to='juliet@localhost' id='o2'><body>two</body></message>`)
	r.Send(`<message to='juliet@localhost' type='chat' id='o3'><body>three</body></message>`)
	// Over the limit: a permanent error (XEP-0160 §5).
	r.Expect(`id="o3"|type="error"|<error type="cancel"><service-unavailable`)
	r.Send(`<message to='juliet@localhost' type='headline' id='o4'><body>h</body></message>`)
	r.ExpectNone()

	// A negative priority does not get them; the next initial presence
	// with a non-negative one does, in order, stamped.
	neg := online(t, core, "juliet", "neg", "-1")
	neg.ExpectNone()
	j := imtest.Login(t, core, "juliet", "balcony")
	j.Send(`<presence/>`)
	out := j.Expect(`from="juliet@localhost/balcony"`, `from="juliet@localhost/neg"`,
		`id="o1"|<body>one</body>|<delay xmlns="urn:xmpp:delay" from="localhost" stamp="`,
		`id="o2"|<body>two</body>|<delay`)
	if strings.Count(out[2], "<delay") != 1 {
		t.Fatalf("stamped twice: %s", out[2])
	}
	msgs, err := core.Store().OfflineMessages(context.Background(), "localhost", "juliet")
	if err != nil || len(msgs) != 0 {
		t.Fatalf("left in storage: %v, %v", msgs, err)
	}
}

// TestUndeliverableStoredOffline checks that messages queued for a
// session that dies go to offline storage and come back stamped once.
func TestUndeliverableStoredOffline(t *testing.T) {
	core := setup(t, 0)
	r := online(t, core, "romeo", "orchard", "0")
	j := online(t, core, "juliet", "balcony", "0")
	r.Send(`<message to='juliet@localhost' type='chat' id='u1'><body>lost?</body></message>`)
	r.Send(`<message to='juliet@localhost' type='headline' id='u2'><body>h</body></message>`)
	j.End() // never drained
	j2 := imtest.Login(t, core, "juliet", "again")
	j2.Send(`<presence/>`)
	j2.Expect(`from="juliet@localhost/again"`, `id="u1"|<body>lost?</body>|<delay`)
}

// TestFlushWhenPriorityTurnsNonNegative checks that a resource that came
// online with a negative priority gets the stored messages once its
// priority becomes non-negative.
func TestFlushWhenPriorityTurnsNonNegative(t *testing.T) {
	core := setup(t, 0)
	r := online(t, core, "romeo", "orchard", "0")
	r.Send(`<message to='juliet@localhost' id='p1'><body>later</body></message>`)
	j := online(t, core, "juliet", "balcony", "-5")
	j.ExpectNone()
	j.Send(`<presence><priority>3</priority></presence>`)
	j.Expect(`from="juliet@localhost/balcony"|<priority>3</priority>`, `id="p1"|<delay`)
}

// TestNotStored checks that chat states and messages hinted no-store are
// not kept offline, and not bounced either.
func TestNotStored(t *testing.T) {
	core := setup(t, 0)
	r := online(t, core, "romeo", "orchard", "0")
	r.Send(`<message to='juliet@localhost' type='chat' id='s1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	r.Send(`<message to='juliet@localhost' type='chat' id='s2'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>`)
	r.Send(`<message to='juliet@localhost' type='chat' id='s3'><body>kept</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	r.ExpectNone()
	msgs, err := core.Store().OfflineMessages(context.Background(), "localhost", "juliet")
	if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].XML, "kept") {
		t.Fatalf("stored %+v, %v; want only the message with a body", msgs, err)
	}
}

// TestFlushInBatches checks that a backlog longer than half the out-queue
// is delivered over several presences instead of overflowing the queue.
func TestFlushInBatches(t *testing.T) {
	core := setupWith(t, 0, server.Options{OutQueue: 4})
	r := online(t, core, "romeo", "orchard", "0")
	for _, id := range []string{"b1", "b2", "b3", "b4", "b5"} {
		r.Send(`<message to='juliet@localhost' id='` + id + `'><body>x</body></message>`)
	}
	j := imtest.Login(t, core, "juliet", "balcony")
	j.Send(`<presence/>`)
	j.Expect(`<presence`, `id="b1"`, `id="b2"`)
	j.Send(`<presence><show>chat</show></presence>`)
	j.Expect(`<presence`, `id="b3"`, `id="b4"`)
	j.Send(`<presence/>`)
	j.Expect(`<presence`, `id="b5"`)
	j.Send(`<presence/>`)
	j.Expect(`<presence`)
}

// TestStorageFailure checks that a message that cannot be stored because
// storage fails (the database is gone) is answered with a wait-type
// <internal-server-error/> (RFC 6120 §8.3.3.6), so the sender may retry,
// not with the permanent <service-unavailable/> of the per-user limit.
func TestStorageFailure(t *testing.T) {
	core := setup(t, 0)
	r := online(t, core, "romeo", "orchard", "0")
	if err := core.Store().Close(); err != nil {
		t.Fatal(err)
	}
	r.Send(`<message to='juliet@localhost' type='chat' id='d1'><body>are you there?</body></message>`)
	out := r.Expect(`id="d1"|type="error"|<error type="wait"><internal-server-error xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>`)
	if strings.Contains(out[0], "service-unavailable") {
		t.Fatalf("got %s, want only internal-server-error", out[0])
	}
}
