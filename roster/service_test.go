package roster_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/roster"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func setup(t *testing.T) (*roster.Service, *imtest.Client, *imtest.Client) {
	core := imtest.Core(t, "juliet", "romeo")
	svc := roster.New(core, roster.Options{MaxItems: 3})
	svc.Register()
	a := imtest.Login(t, core, "juliet", "balcony")
	b := imtest.Login(t, core, "juliet", "chamber")
	return svc, a, b
}

func TestRosterGetSetRemove(t *testing.T) {
	_, a, b := setup(t)
	a.Send(`<iq type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>`)
	a.Expect(`type="result"|id="g1"|<query xmlns="jabber:iq:roster" ver="0"/>`)
	// b has not asked for the roster: not interested, no pushes.
	a.Send(`<iq type='set' id='s1'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group></item></query></iq>`)
	a.Expect(`type="set"|from="juliet@localhost"|ver="1"|jid="nurse@example.com"|name="Nurse"|subscription="none"|<group>Servants</group>`,
		`type="result"|id="s1"`)
	b.ExpectNone()
	b.Send(`<iq type='get' id='g2'><query xmlns='jabber:iq:roster' ver='1'/></iq>`)
	out := b.Expect(`type="result"|id="g2"`)
	if strings.Contains(out[0], "<query") {
		t.Fatalf("current version answered with a roster: %s", out[0])
	}
	a.Send(`<iq type='set' id='s2'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>`)
	a.Expect(`ver="2"|subscription="remove"`, `id="s2"|type="result"`)
	b.Expect(`ver="2"|subscription="remove"`)
	a.Send(`<iq type='set' id='s3'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'/></query></iq>`)
	a.Expect(`id="s3"|type="error"|<item-not-found`)
	// A stale version gets the whole roster.
	b.Send(`<iq type='get' id='g3'><query xmlns='jabber:iq:roster' ver='1'/></iq>`)
	b.Expect(`id="g3"|<query xmlns="jabber:iq:roster" ver="2"/>`)
}

func TestRosterErrors(t *testing.T) {
	_, a, _ := setup(t)
	for _, tc := range []struct{ x, want string }{
		{`<iq type='set' id='e1'><query xmlns='jabber:iq:roster'><item jid='a@b'/><item jid='c@d'/></query></iq>`, "<bad-request"},
		{`<iq type='set' id='e2'><query xmlns='jabber:iq:roster'><item jid='a@b'><group></group></item></query></iq>`, "<not-acceptable"},
		{`<iq type='set' id='e3'><query xmlns='jabber:iq:roster'><item jid='juliet@localhost'/></query></iq>`, "<not-allowed"},
		{`<iq type='set' id='e4' to='romeo@localhost'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>`, "<forbidden"},
		{`<iq type='get' id='e5' to='romeo@localhost'><query xmlns='jabber:iq:roster'/></iq>`, "<forbidden"},
		{`<iq type='get' id='e6'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>`, "<bad-request"},
	} {
		a.Send(tc.x)
		a.Expect(`type="error"|` + tc.want)
	}
	// The roster holds at most 3 items.
	for _, c := range []string{"a@x", "b@x", "c@x"} {
		a.Send(`<iq type='set' id='f'><query xmlns='jabber:iq:roster'><item jid='` + c + `'/></query></iq>`)
		a.Expect(`type="result"`)
	}
	a.Send(`<iq type='set' id='full'><query xmlns='jabber:iq:roster'><item jid='d@x'/></query></iq>`)
	a.Expect(`type="error"|<not-allowed`)
	// Updating an existing item still works.
	a.Send(`<iq type='set' id='upd'><query xmlns='jabber:iq:roster'><item jid='a@x' name='A'/></query></iq>`)
	a.Expect(`type="result"`)
}

func TestStreamFeatures(t *testing.T) {
	_, a, _ := setup(t)
	for _, want := range []string{`<ver xmlns="urn:xmpp:features:rosterver"/>`, `<sub xmlns="urn:xmpp:features:pre-approval"/>`} {
		if !strings.Contains(a.Features, want) {
			t.Errorf("features %s lack %s", a.Features, want)
		}
	}
}

func TestSyncAfterStorageChange(t *testing.T) {
	svc, a, b := setup(t)
	a.Send(`<iq type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>`)
	a.Expect(`type="result"`)
	st := a.S.Core().Store()
	ctx := context.Background()
	put := func(contact string, it *storage.RosterItem) {
		if _, _, err := st.UpdateRosterItem(ctx, "localhost", "juliet", contact,
			func(*storage.RosterItem) (*storage.RosterItem, error) { return it, nil }); err != nil {
			t.Fatal(err)
		}
	}
	put("romeo@localhost", &storage.RosterItem{Subscription: storage.SubBoth})
	put("hidden@localhost", &storage.RosterItem{PendingIn: true, PendingOnly: true})
	user := jid.MustParse("juliet@localhost")
	if err := svc.Sync(ctx, user); err != nil {
		t.Fatal(err)
	}
	a.Expect(`jid="romeo@localhost"|subscription="both"|ver="2"`)
	b.ExpectNone()
	put("romeo@localhost", nil)
	if err := svc.Sync(ctx, user); err != nil {
		t.Fatal(err)
	}
	a.Expect(`jid="romeo@localhost"|subscription="remove"|ver="3"`)
	if err := svc.Sync(ctx, user); err != nil {
		t.Fatal(err)
	}
	a.ExpectNone()
	if err := svc.PushItem(ctx, user, jid.MustParse("x@y")); err != nil {
		t.Fatal(err)
	}
	a.Expect(`jid="x@y"|subscription="remove"`)
}
