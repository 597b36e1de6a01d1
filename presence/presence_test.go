package presence_test

import (
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/presence"
	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func setup(t *testing.T) *server.Core {
	core := imtest.Core(t, "juliet", "romeo", "nurse")
	rs := roster.New(core, roster.Options{})
	rs.Register()
	presence.New(core, rs).Register()
	return core
}

// online logs in, fetches the roster and sends initial presence.
func online(t *testing.T, core *server.Core, user, res string, prio string) *imtest.Client {
	c := imtest.Login(t, core, user, res)
	c.Send(`<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`)
	c.Drain()
	c.Send(`<presence><priority>` + prio + `</priority></presence>`)
	return c
}

// TestSubscriptionHandshake runs RFC 6121 §3.1 both ways between two
// online users and checks every push and presence.
func TestSubscriptionHandshake(t *testing.T) {
	core := setup(t)
	j := online(t, core, "juliet", "balcony", "1")
	j.Expect(`from="juliet@localhost/balcony"|to="juliet@localhost/balcony"`)
	r := online(t, core, "romeo", "orchard", "1")
	r.Expect(`from="romeo@localhost/orchard"`)
	j.ExpectNone()

	r.Send(`<presence to='juliet@localhost' type='subscribe'><status>hi</status></presence>`)
	r.Expect(`type="set"|jid="juliet@localhost"|subscription="none"|ask="subscribe"|ver="1"`)
	j.Expect(`<presence|from="romeo@localhost"|to="juliet@localhost"|type="subscribe"|<status>hi</status>`)

	j.Send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.Expect(`type="set"|jid="romeo@localhost"|subscription="from"|ver="2"`)
	r.Expect(`type="set"|jid="juliet@localhost"|subscription="to"|ver="2"`,
		`<presence|from="juliet@localhost"|type="subscribed"`,
		`<presence|from="juliet@localhost/balcony"|to="romeo@localhost"|<priority>1</priority>`)

	j.Send(`<presence to='romeo@localhost' type='subscribe'/>`)
	j.Expect(`jid="romeo@localhost"|subscription="from"|ask="subscribe"|ver="3"`)
	r.Expect(`type="set"|jid="juliet@localhost"|subscription="to"|ver="3"`,
		`<presence|from="juliet@localhost"|type="subscribe"`)

	r.Send(`<presence to='juliet@localhost' type='subscribed'/>`)
	r.Expect(`jid="juliet@localhost"|subscription="both"|ver="4"`)
	j.Expect(`jid="romeo@localhost"|subscription="both"|ver="4"`,
		`from="romeo@localhost"|type="subscribed"`,
		`from="romeo@localhost/orchard"|to="juliet@localhost"`)

	// Updates reach the contact; unavailable on logout too.
	r.Send(`<presence><show>away</show></presence>`)
	r.Expect(`<show>away</show>`)
	j.Expect(`from="romeo@localhost/orchard"|<show>away</show>`)
	r.End()
	j.Expect(`from="romeo@localhost/orchard"|type="unavailable"`)

	// Login again: the probe is answered with juliet's presence.
	r2 := online(t, core, "romeo", "garden", "0")
	r2.Expect(`from="romeo@localhost/garden"|to="romeo@localhost/garden"`,
		`from="juliet@localhost/balcony"|to="romeo@localhost/garden"`)
	j.Expect(`from="romeo@localhost/garden"|to="juliet@localhost"`)

	// Unsubscribe: romeo loses 'to', juliet loses 'from' and romeo gets
	// juliet's unavailable presence.
	r2.Send(`<presence to='juliet@localhost' type='unsubscribe'/>`)
	r2.Expect(`jid="juliet@localhost"|subscription="from"`,
		`from="juliet@localhost/balcony"|type="unavailable"`)
	j.Expect(`jid="romeo@localhost"|subscription="to"`, `from="romeo@localhost"|type="unsubscribe"`)
}

// TestPendingRequestRedelivered checks RFC 6121 §3.1.3: a request to an
// offline user waits, stays out of the roster and is delivered on every
// initial presence until answered.
func TestPendingRequestRedelivered(t *testing.T) {
	core := setup(t)
	r := online(t, core, "romeo", "orchard", "1")
	r.Drain()
	r.Send(`<presence to='juliet@localhost' type='subscribe'><status>let me in</status></presence>`)
	r.Expect(`ask="subscribe"`)
	for range 2 {
		j := imtest.Login(t, core, "juliet", "balcony")
		j.Send(`<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>`)
		j.Expect(`<query xmlns="jabber:iq:roster" ver="1"/>`)
		j.Send(`<presence/>`)
		j.Expect(`from="juliet@localhost/balcony"`, `from="romeo@localhost"|type="subscribe"|let me in`)
		j.End()
	}
	// Denying it removes the record; romeo's ask is gone.
	j := online(t, core, "juliet", "balcony", "0")
	j.Drain()
	j.Send(`<presence to='romeo@localhost' type='unsubscribed'/>`)
	j.ExpectNone()
	r.Expect(`jid="juliet@localhost"|subscription="none"`, `from="juliet@localhost"|type="unsubscribed"`)
}

// TestThreeResources checks that every resource of a user sees the
// others and the contacts' presence (RFC 6121 §4.2.2, §4.4.2).
func TestThreeResources(t *testing.T) {
	core := setup(t)
	a := online(t, core, "juliet", "a", "1")
	a.Expect(`from="juliet@localhost/a"`)
	b := online(t, core, "juliet", "b", "2")
	b.Expect(`from="juliet@localhost/b"|to="juliet@localhost/b"`, `from="juliet@localhost/a"|to="juliet@localhost/b"`)
	a.Expect(`from="juliet@localhost/b"|to="juliet@localhost/a"`)
	c := online(t, core, "juliet", "c", "-1")
	c.Expect(`from="juliet@localhost/c"`, `from="juliet@localhost/a"`, `from="juliet@localhost/b"`)
	a.Expect(`from="juliet@localhost/c"`)
	b.Expect(`from="juliet@localhost/c"`)
	b.Send(`<presence type='unavailable'/>`)
	a.Expect(`from="juliet@localhost/b"|type="unavailable"`)
	c.Expect(`from="juliet@localhost/b"|type="unavailable"`)
	b.ExpectNone()
}

// TestDirectedPresence checks RFC 6121 §4.6: the recipient of directed
// presence gets unavailable presence when the session ends.
func TestDirectedPresence(t *testing.T) {
	core := setup(t)
	n := online(t, core, "nurse", "kitchen", "0")
	n.Drain()
	j := online(t, core, "juliet", "balcony", "0")
	j.Drain()
	j.Send(`<presence to='nurse@localhost/kitchen'><status>psst</status></presence>`)
	n.Expect(`from="juliet@localhost/balcony"|psst`)
	j.End()
	n.Expect(`from="juliet@localhost/balcony"|type="unavailable"`)
}

// TestProbeOfUnsubscribed checks RFC 6121 §4.3.2 rule 1: no presence
// leaks to a contact without a subscription.
func TestProbeOfUnsubscribed(t *testing.T) {
	core := setup(t)
	j := online(t, core, "juliet", "balcony", "0")
	j.Drain()
	st := core.Store()
	_, _, err := st.UpdateRosterItem(t.Context(), "localhost", "romeo", "juliet@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Subscription: "to"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	r := online(t, core, "romeo", "orchard", "0")
	r.Expect(`from="romeo@localhost/orchard"`, `type="set"|subscription="none"`,
		`from="juliet@localhost"|type="unsubscribed"`)
	j.ExpectNone()
}

// TestPreApproval checks RFC 6121 §3.4: a subscription approved before it
// was requested is answered by the server.
func TestPreApproval(t *testing.T) {
	core := setup(t)
	j := online(t, core, "juliet", "balcony", "1")
	j.Drain()
	j.Send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.Expect(`jid="romeo@localhost"|subscription="none"|approved="true"`)
	r := online(t, core, "romeo", "orchard", "1")
	r.Drain()
	r.Send(`<presence to='juliet@localhost' type='subscribe'/>`)
	r.Expect(`ask="subscribe"`, `jid="juliet@localhost"|subscription="to"`,
		`from="juliet@localhost"|type="subscribed"`, `from="juliet@localhost/balcony"|to="romeo@localhost"`)
	j.Expect(`jid="romeo@localhost"|subscription="from"`)
}

// TestRosterRemoveCancels checks RFC 6121 §2.5.2: removing a mutual
// contact cancels both subscriptions and the contact sees the user go.
func TestRosterRemoveCancels(t *testing.T) {
	core := setup(t)
	j := online(t, core, "juliet", "balcony", "1")
	r := online(t, core, "romeo", "orchard", "1")
	r.Send(`<presence to='juliet@localhost' type='subscribe'/>`)
	j.Send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.Send(`<presence to='romeo@localhost' type='subscribe'/>`)
	r.Send(`<presence to='juliet@localhost' type='subscribed'/>`)
	j.Drain()
	r.Drain()
	j.Send(`<iq type='set' id='rm'><query xmlns='jabber:iq:roster'><item jid='romeo@localhost' subscription='remove'/></query></iq>`)
	// Romeo lost his 'from': juliet gets his unavailable presence (§3.3.3).
	j.Expect(`jid="romeo@localhost"|subscription="remove"`,
		`from="romeo@localhost/orchard"|to="juliet@localhost"|type="unavailable"`, `id="rm"|type="result"`)
	r.Expect(`jid="juliet@localhost"|subscription="to"`, `from="juliet@localhost"|type="unsubscribe"`,
		`jid="juliet@localhost"|subscription="none"`, `from="juliet@localhost"|type="unsubscribed"`,
		`from="juliet@localhost/balcony"|type="unavailable"`)
}

// TestSubscribeToNobody checks that a request to an account that does not
// exist is answered with "unsubscribed", which clears the pending request.
func TestSubscribeToNobody(t *testing.T) {
	core := setup(t)
	r := online(t, core, "romeo", "orchard", "0")
	r.Drain()
	r.Send(`<presence to='rosaline@localhost' type='subscribe'/>`)
	r.Expect(`jid="rosaline@localhost"|ask="subscribe"`,
		`jid="rosaline@localhost"|subscription="none"`, `from="rosaline@localhost"|type="unsubscribed"`)
	r.Send(`<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>`)
	if out := r.Expect(`id="g"`); strings.Contains(out[0], `ask=`) {
		t.Fatalf("request still pending: %s", out[0])
	}
}

// TestBarePresence checks that a bare <presence/>, which the module does
// not keep (it builds it again), reaches the user's other resources and
// answers the probes of subscribed contacts as sent.
func TestBarePresence(t *testing.T) {
	core := setup(t)
	_, _, err := core.Store().UpdateRosterItem(t.Context(), "localhost", "juliet", "romeo@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Subscription: "from"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	a := imtest.Login(t, core, "juliet", "a")
	a.Send(`<presence/>`)
	a.Expect(`<presence from="juliet@localhost/a" to="juliet@localhost/a"/>`)
	b := imtest.Login(t, core, "juliet", "b")
	b.Send(`<presence/>`)
	b.Expect(`<presence from="juliet@localhost/b" to="juliet@localhost/b"/>`,
		`<presence from="juliet@localhost/a" to="juliet@localhost/b"/>`)
	a.Expect(`<presence from="juliet@localhost/b" to="juliet@localhost/a"/>`)
	_, _, err = core.Store().UpdateRosterItem(t.Context(), "localhost", "romeo", "juliet@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Subscription: "to"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	r := imtest.Login(t, core, "romeo", "orchard")
	r.Send(`<presence/>`)
	r.Expect(`<presence from="romeo@localhost/orchard" to="romeo@localhost/orchard"/>`,
		`<presence from="juliet@localhost/a" to="romeo@localhost/orchard"/>`,
		`<presence from="juliet@localhost/b" to="romeo@localhost/orchard"/>`)
}

// TestUnavailableAfterRosterChange checks that a session whose roster had
// no contact with a 'from' subscription at initial presence (so that its
// end need not read the roster) still sends unavailable presence to a
// contact it approved since, or that an administrator added (roster.Sync).
func TestUnavailableAfterRosterChange(t *testing.T) {
	core := imtest.Core(t, "juliet", "romeo", "nurse")
	rs := roster.New(core, roster.Options{})
	rs.Register()
	presence.New(core, rs).Register()

	j := imtest.Login(t, core, "juliet", "balcony")
	j.Send(`<presence/>`)
	j.Drain()
	r := online(t, core, "romeo", "orchard", "0")
	r.Drain()
	r.Send(`<presence to='juliet@localhost' type='subscribe'/>`)
	r.Drain()
	j.Drain()
	j.Send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.Drain()
	r.Expect(`type="set"|subscription="to"`, `from="juliet@localhost"|type="subscribed"`,
		`<presence from="juliet@localhost/balcony" to="romeo@localhost"/>`)
	j.End()
	r.Expect(`from="juliet@localhost/balcony"|to="romeo@localhost"|type="unavailable"`)

	n := imtest.Login(t, core, "nurse", "kitchen")
	n.Send(`<presence/>`)
	n.Drain()
	_, _, err := core.Store().UpdateRosterItem(t.Context(), "localhost", "nurse", "romeo@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Subscription: "from"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Sync(t.Context(), jid.MustParse("nurse@localhost")); err != nil {
		t.Fatal(err)
	}
	n.End()
	r.Expect(`from="nurse@localhost/kitchen"|to="romeo@localhost"|type="unavailable"`)
}
