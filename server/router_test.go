package server

import (
	"context"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
)

func users() map[string]string {
	return map[string]string{"alice": "a", "bob": "b", "carol": "c"}
}

func TestRouterClassification(t *testing.T) {
	c := newCore(t, Options{}, users())
	a := login(t, c, "alice", "a", "pc")
	b := login(t, c, "bob", "b", "phone")
	for _, tc := range []struct {
		name, send string
		toAlice    []string // what alice gets back; nil = nothing
		toBob      []string // what bob gets; nil = nothing
	}{
		{"message to full JID", "<message to='bob@localhost/phone' id='m1'><body>hi</body></message>",
			nil, []string{`from="alice@localhost/pc"`, "<body>hi</body>"}},
		{"message to bare JID, bob unavailable", "<message to='bob@localhost' type='chat' id='m2'><body>hi</body></message>",
			[]string{`type="error"`, "<service-unavailable "}, nil},
		{"message to unknown user", "<message to='nobody@localhost' id='m3'><body>x</body></message>",
			[]string{`type="error"`, "<service-unavailable "}, nil},
		{"message to remote domain", "<message to='x@example.org' id='m4'><body>x</body></message>",
			[]string{`type="error"`, "<remote-server-not-found "}, nil},
		{"message error type is never bounced", "<message to='x@example.org' type='error' id='m5'/>", nil, nil},
		{"iq to unknown payload on server", "<iq to='localhost' type='get' id='i1'><query xmlns='urn:example'/></iq>",
			[]string{`type="error"`, "<service-unavailable "}, nil},
		{"iq without to, unknown payload", "<iq type='get' id='i2'><query xmlns='urn:example'/></iq>",
			[]string{`type="error"`, "<service-unavailable "}, nil},
		{"iq result never answered", "<iq to='localhost' type='result' id='i3'/>", nil, nil},
		{"iq error never answered", "<iq to='nobody@localhost/x' type='error' id='i4'/>", nil, nil},
		{"iq to offline full JID", "<iq to='bob@localhost/gone' type='get' id='i5'><query xmlns='urn:example'/></iq>",
			[]string{`type="error"`, "<service-unavailable "}, nil},
		{"iq to unknown bare JID", "<iq to='nobody@localhost' type='get' id='i6'><query xmlns='urn:example'/></iq>",
			[]string{"<service-unavailable "}, nil},
		{"iq to online full JID", "<iq to='bob@localhost/phone' type='get' id='i7'><query xmlns='urn:example'/></iq>",
			nil, []string{`from="alice@localhost/pc"`, `id="i7"`}},
		{"ping server", "<iq to='localhost' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
			[]string{`type="result"`, `id="p1"`, `from="localhost"`}, nil},
		{"ping without to", "<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>",
			[]string{`type="result"`, `id="p2"`}, nil},
		{"from bare JID is accepted", "<message from='alice@localhost' to='bob@localhost/phone'/>",
			nil, []string{`from="alice@localhost/pc"`}},
		{"presence to server dropped", "<presence to='localhost'/>", nil, nil},
		{"directed presence to full JID", "<presence to='bob@localhost/phone'/>", nil, []string{"<presence"}},
		{"malformed to", "<message to='@@' id='m6'/>", []string{"<jid-malformed "}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st := a.send(tc.send); st != StepContinue {
				t.Fatalf("step %v", st)
			}
			check(t, "alice", a.drain(), tc.toAlice)
			check(t, "bob", b.drain(), tc.toBob)
		})
	}
}

func check(t *testing.T, who string, got []string, want []string) {
	t.Helper()
	if want == nil {
		if len(got) != 0 {
			t.Errorf("%s got %q, want nothing", who, got)
		}
		return
	}
	if len(got) != 1 {
		t.Fatalf("%s got %q, want one element with %q", who, got, want)
	}
	for _, w := range want {
		if !strings.Contains(got[0], w) {
			t.Errorf("%s got %s, want %s", who, got[0], w)
		}
	}
}

func TestSpoofedFrom(t *testing.T) {
	c := newCore(t, Options{}, users())
	a := login(t, c, "alice", "a", "pc")
	if st := a.send("<message from='bob@localhost/phone' to='carol@localhost'/>"); st != StepClose {
		t.Fatalf("step %v", st)
	}
	if _, err := a.rec.state(); err == nil || err.Condition != stream.InvalidFrom {
		t.Fatalf("closed with %v, want invalid-from", err)
	}
}

func TestBareJIDDelivery(t *testing.T) {
	c := newCore(t, Options{}, users())
	a := login(t, c, "alice", "a", "pc")
	b1 := login(t, c, "bob", "b", "one")
	b2 := login(t, c, "bob", "b", "two")
	b3 := login(t, c, "bob", "b", "three")
	b1.send("<presence><priority>5</priority></presence>")
	b2.send("<presence><priority>5</priority></presence>")
	b3.send("<presence><priority>1</priority></presence>")
	a.send("<message to='bob@localhost' type='chat'><body>x</body></message>")
	check(t, "bob/one", b1.drain(), []string{"<body>x</body>"})
	check(t, "bob/two", b2.drain(), []string{"<body>x</body>"})
	check(t, "bob/three", b3.drain(), nil)
	a.send("<message to='bob@localhost' type='headline'><body>h</body></message>")
	check(t, "bob/three", b3.drain(), []string{"<body>h</body>"})
	b1.send("<presence type='unavailable'/>")
	b2.send("<presence><priority>-1</priority></presence>")
	a.send("<message to='bob@localhost/gone' type='chat'><body>y</body></message>")
	check(t, "bob/three", b3.drain(), []string{"<body>y</body>"})
	check(t, "alice", a.drain(), nil)
}

func TestDiscoInfoFeatures(t *testing.T) {
	c := newCore(t, Options{HideVersion: true}, users())
	c.Router().HandleIQ(IQServer, "urn:example:x", "x", func(context.Context, *IQ) (*etree.Element, error) { return nil, nil })
	a := login(t, c, "alice", "a", "pc")
	a.send("<iq to='localhost' type='get' id='d'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	out := a.expect(`category="server"`, "urn:xmpp:ping", "urn:xmpp:time", "urn:example:x", "disco#items")
	if strings.Contains(out, "jabber:iq:version") {
		t.Fatalf("hidden version advertised: %s", out)
	}
	a.send("<iq to='localhost' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>")
	a.expect("<service-unavailable ")
}

func TestHandlerErrors(t *testing.T) {
	c := newCore(t, Options{}, users())
	c.Router().HandleIQ(IQAccount, "urn:example:e", "q", func(context.Context, *IQ) (*etree.Element, error) {
		return nil, stanza.NewError(stanza.Forbidden, "")
	})
	a := login(t, c, "alice", "a", "pc")
	a.send("<iq type='set' id='e'><q xmlns='urn:example:e'/></iq>")
	a.expect(`type="error"`, "<forbidden ")
}

func TestSlowConsumer(t *testing.T) {
	c := newCore(t, Options{OutQueue: 3}, users())
	a := login(t, c, "alice", "a", "pc")
	b := login(t, c, "bob", "b", "phone")
	for range 5 {
		a.send("<message to='bob@localhost/phone'><body>x</body></message>")
	}
	closed, err := b.rec.state()
	if !closed || err == nil || err.Condition != stream.ResourceConstraint {
		t.Fatalf("slow consumer closed=%v with %v", closed, err)
	}
	if got := len(b.s.Drain(nil)); got > 4 {
		t.Fatalf("queue grew to %d", got)
	}
}

func TestKickAndUndeliverable(t *testing.T) {
	c := newCore(t, Options{}, users())
	a := login(t, c, "alice", "a", "pc")
	b := login(t, c, "bob", "b", "phone")
	ended := make(chan error, 1)
	c.OnSessionEnd(func(s *Session, reason error) {
		if s == b.s {
			ended <- reason
		}
	})
	a.send("<iq to='bob@localhost/phone' type='get' id='q'><query xmlns='urn:example'/></iq>")
	if n := c.Kick(jid.MustParse("bob@localhost"), stream.NewError(stream.NotAuthorized, "")); n != 1 {
		t.Fatalf("kicked %d", n)
	}
	<-ended
	if c.Registry().Lookup(b.s.JID()) != nil {
		t.Fatal("kicked session still registered")
	}
	a.expect(`id="q"`, "<service-unavailable ") // the queued IQ bounced
}

func BenchmarkRouteToLocalSession(b *testing.B) {
	c := newCore(b, Options{OutQueue: 1 << 20}, users())
	a := login(b, c, "alice", "a", "pc")
	bob := login(b, c, "bob", "b", "phone")
	el := elem(b, "<message to='bob@localhost/phone' type='chat'><body>hello</body></message>")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		st, _ := stanza.Parse(el.Copy())
		if err := c.Router().Route(ctx, a.s, st); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 {
			bob.s.Drain(nil)
		}
	}
}
