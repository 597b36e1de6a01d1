package stanza

import (
	"errors"
	"testing"

	"github.com/parley-xmpp/parley/server/jid"
)

func TestParseHeader(t *testing.T) {
	el := mustElement(t, `<message from='Juliet@im.example.com/balcony' to='romeo@example.net'
		id='m1' type='chat' xml:lang='en'><body>hi</body></message>`)
	s, err := Parse(el)
	if err != nil {
		t.Fatal(err)
	}
	if s.El != el || s.Kind != KindMessage || s.Type != "chat" || s.ID != "m1" || s.Lang != "en" ||
		s.From != jid.MustParse("juliet@im.example.com/balcony") || s.To != jid.MustParse("romeo@example.net") {
		t.Errorf("header = %+v", s)
	}
	if p := s.Payload(); p == nil || p.Tag != "body" {
		t.Errorf("Payload = %v", p)
	}
}

func TestParseValidation(t *testing.T) {
	for _, tc := range []struct {
		xml  string
		want error // nil, a Condition, or ErrNotStanza
	}{
		{"<message/>", nil},
		{"<message type='bogus'/>", nil}, // RFC 6121 §5.2.2: treated as normal
		{"<message xmlns='jabber:client'/>", nil},
		{"<presence/>", nil},
		{"<presence type='unsubscribed'/>", nil},
		{"<presence type='available'/>", BadRequest},
		{"<presence to='a@b@c'/>", JIDMalformed},
		{"<presence from='@b'/>", JIDMalformed},
		{"<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", nil},
		{"<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>", BadRequest},
		{"<iq type='get' id='1'/>", BadRequest},
		{"<iq type='set' id='1'><a xmlns='x'/><b xmlns='x'/></iq>", BadRequest},
		{"<iq type='result' id='1'/>", nil},
		{"<iq type='result' id='1'><a xmlns='x'/><b xmlns='x'/></iq>", BadRequest},
		{"<iq type='error' id='1'><error type='cancel'/></iq>", nil},
		{"<iq id='1'><ping xmlns='urn:xmpp:ping'/></iq>", BadRequest},
		{"<iq type='subscribe' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", BadRequest},
		{"<iq x:type='get' xmlns:x='urn:x' id='1'><p xmlns='y'/></iq>", BadRequest},
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", ErrNotStanza},
		{"<message xmlns='jabber:server'/>", ErrNotStanza},
		{"<x:message xmlns:x='urn:other'/>", ErrNotStanza},
		{"<c:message xmlns:c='jabber:client'/>", nil},
	} {
		s, err := Parse(mustElement(t, tc.xml))
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.xml, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: err = %v, want %v", tc.xml, err, tc.want)
		case tc.want == ErrNotStanza && s != nil:
			t.Errorf("%s: stanza returned for a non-stanza", tc.xml)
		case tc.want != nil && tc.want != ErrNotStanza:
			var se *Error
			if !errors.As(err, &se) || s == nil {
				t.Errorf("%s: want *Error and the partial stanza, got %T %v", tc.xml, err, s)
			}
		}
	}
	if _, err := Parse(nil); !errors.Is(err, ErrNotStanza) {
		t.Errorf("Parse(nil) = %v", err)
	}
}

// A stanza with a malformed 'to' still yields a stanza to answer, and the
// answer leaves the malformed address out (RFC 6120 §8.3.1 rule 2).
func TestParseMalformedReply(t *testing.T) {
	s, err := Parse(mustElement(t, "<message id='x' from='a@b/c' to='bad@@example.com'><body>hi</body></message>"))
	var se *Error
	if !errors.As(err, &se) || se.Condition != JIDMalformed || se.Type != Modify {
		t.Fatalf("err = %v", err)
	}
	r := ErrorReply(s, se)
	want := mustElement(t, `<message id='x' to='a@b/c' type='error'><body>hi</body>
		<error type='modify'><jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>invalid 'to' address</text></error></message>`)
	if canon(r.El) != canon(want) {
		t.Errorf("\n got %s\nwant %s", canon(r.El), canon(want))
	}
}

func TestErrorReply(t *testing.T) {
	req := mustElement(t, `<iq from='juliet@example.com/balcony' to='example.com' id='v1' type='get' xml:lang='en'>
		<query xmlns='urn:example'/></iq>`)
	s, err := Parse(req)
	if err != nil {
		t.Fatal(err)
	}
	before := canon(req)
	r := ErrorReply(s, NewError(ServiceUnavailable, ""))
	want := mustElement(t, `<iq from='example.com' to='juliet@example.com/balcony' id='v1' type='error' xml:lang='en'>
		<query xmlns='urn:example'/>
		<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
	if canon(r.El) != canon(want) {
		t.Errorf("\n got %s\nwant %s", canon(r.El), canon(want))
	}
	if r.Type != "error" || r.ID != "v1" || r.From != s.To || r.To != s.From || r.Kind != KindIQ || r.Lang != "en" {
		t.Errorf("header = %+v", r)
	}
	if canon(req) != before {
		t.Error("ErrorReply modified the request")
	}
	if _, err := Parse(r.El); err != nil {
		t.Errorf("reply does not parse: %v", err)
	}
	// Never an error in reply to an error (RFC 6120 §8.3.1 rule 8).
	if ErrorReply(r, NewError(BadRequest, "")) != nil {
		t.Error("ErrorReply answered an error stanza")
	}
	if ErrorReply(nil, NewError(BadRequest, "")) != nil || ErrorReply(s, nil) != nil {
		t.Error("ErrorReply with nil input")
	}
}

func TestCloneRestamp(t *testing.T) {
	s, err := Parse(mustElement(t, "<message from='evil@example.com/x' to='romeo@example.net'><body>b</body></message>"))
	if err != nil {
		t.Fatal(err)
	}
	orig := canon(s.El)
	c := s.Clone()
	c.El.CreateElement("extra")
	if canon(s.El) != orig {
		t.Error("Clone shares the element")
	}
	from := jid.MustParse("juliet@example.com/balcony")
	r := s.Restamp(from, jid.JID{})
	if canon(s.El) != orig {
		t.Error("Restamp modified the original")
	}
	if r.From != from || !r.To.IsZero() || attr(r.El, "", "from") != from.String() || attr(r.El, "", "to") != "" {
		t.Errorf("Restamp = %s %+v", canon(r.El), r)
	}
	if r.El.SelectElement("body") == nil {
		t.Error("Restamp lost the payload")
	}
}

func TestBuilders(t *testing.T) {
	a, b := jid.MustParse("example.com"), jid.MustParse("juliet@example.com/balcony")
	for _, tc := range []struct {
		s    *Stanza
		want string
	}{
		{NewIQ("get", "p1", b, a, mustElement(t, "<ping xmlns='urn:xmpp:ping'/>")),
			"<iq from='juliet@example.com/balcony' to='example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"},
		{NewMessage("chat", a, b), "<message from='example.com' to='juliet@example.com/balcony' type='chat'/>"},
		{NewMessage("", jid.JID{}, b), "<message to='juliet@example.com/balcony'/>"},
		{NewPresence("", b, jid.JID{}), "<presence from='juliet@example.com/balcony'/>"},
		{NewPresence("unavailable", b, a), "<presence from='juliet@example.com/balcony' to='example.com' type='unavailable'/>"},
	} {
		if canon(tc.s.El) != canon(mustElement(t, tc.want)) {
			t.Errorf("\n got %s\nwant %s", canon(tc.s.El), canon(mustElement(t, tc.want)))
		}
		p, err := Parse(tc.s.El)
		if err != nil || p.Kind != tc.s.Kind || p.Type != tc.s.Type || p.ID != tc.s.ID || p.To != tc.s.To || p.From != tc.s.From {
			t.Errorf("builder header %+v disagrees with Parse %+v, %v", tc.s, p, err)
		}
	}
	req, _ := Parse(mustElement(t, "<iq from='juliet@example.com/balcony' to='example.com' id='q' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"))
	res := ResultIQ(req, nil)
	want := "<iq from='example.com' to='juliet@example.com/balcony' id='q' type='result'/>"
	if canon(res.El) != canon(mustElement(t, want)) || !req.IsRequest() || res.IsRequest() {
		t.Errorf("ResultIQ = %s", canon(res.El))
	}
	if res.Payload() != nil {
		t.Error("empty result has a payload")
	}
}

func TestKindString(t *testing.T) {
	if KindMessage.String() != "message" || KindPresence.String() != "presence" || KindIQ.String() != "iq" || Kind(0).String() != "Kind(0)" {
		t.Error("Kind.String")
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, xml string }{
		{"message", "<message from='juliet@im.example.com/balcony' to='romeo@example.net' id='m1' type='chat' xml:lang='en'><body>Art thou not Romeo?</body></message>"},
		{"iq", "<iq from='juliet@im.example.com/balcony' to='im.example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"},
		{"presence", "<presence/>"},
	} {
		el := mustElement(b, bc.xml)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(el); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkErrorReply(b *testing.B) {
	s, err := Parse(mustElement(b, "<iq from='juliet@im.example.com/balcony' to='im.example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"))
	if err != nil {
		b.Fatal(err)
	}
	e := NewError(ServiceUnavailable, "")
	b.ReportAllocs()
	for b.Loop() {
		ErrorReply(s, e)
	}
}
