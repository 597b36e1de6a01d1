package robust

import (
	"testing"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/server/stream"
)

// TestStreamErrors writes bad streams and checks the exact stream error
// each one gets (RFC 6120 §4.9.3) and that the connection is closed.
func TestStreamErrors(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.C2S.MaxStanzaSize = config.MinStanzaSize }))
	s.AddUser(t, "alice", "secret")
	streamErrors(t, s, []streamErrorCase{
		{name: "malformed mid-stream", send: `<message to='a@localhost'><body>hi</message>`, want: stream.NotWellFormed},
		{name: "malformed after auth", login: true, send: `<message to='a@localhost'><body>hi</body></mess>`, want: stream.NotWellFormed},
		{name: "undefined entity", login: true, send: `<message to='a@localhost'><body>&bogus;</body></message>`, want: stream.NotWellFormed},
		{name: "unbound prefix", login: true, send: `<x:message to='a@localhost'/>`, want: stream.BadNamespacePrefix},
		{name: "duplicate attribute", login: true, send: `<message to='a@localhost' to='b@localhost'/>`, want: stream.NotWellFormed},
		{name: "stanza too big before auth", send: `<message to='a@localhost'><body>` + big(config.MinStanzaSize) + `</body></message>`, want: stream.PolicyViolation},
		{name: "stanza too big", login: true, send: `<message to='a@localhost'><body>` + big(config.MinStanzaSize) + `</body></message>`, want: stream.PolicyViolation},
		{name: "unclosed huge stanza", login: true, send: `<message to='a@localhost'><body>` + big(2*config.MinStanzaSize), want: stream.PolicyViolation},
		{name: "comment", login: true, send: `<!-- hello -->`, want: stream.RestrictedXML},
		{name: "comment inside stanza", login: true, send: `<message to='a@localhost'><!-- x --></message>`, want: stream.RestrictedXML},
		{name: "processing instruction", login: true, send: `<?foo bar?>`, want: stream.RestrictedXML},
		{name: "DTD", header: `<?xml version='1.0'?><!DOCTYPE stream [<!ENTITY x 'y'>]>` + StreamHeader[len(`<?xml version='1.0'?>`):], want: stream.RestrictedXML},
		{name: "wrong stream namespace", header: `<stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='urn:example:wrong'>`, want: stream.InvalidNamespace},
		{name: "wrong content namespace", header: `<stream:stream to='localhost' version='1.0' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>`, want: stream.InvalidNamespace},
		{name: "unknown host", header: `<stream:stream to='example.net' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`, want: stream.HostUnknown},
		{name: "no version", header: `<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`, want: stream.UnsupportedVersion},
		{name: "unknown top-level element", login: true, send: `<foo xmlns='urn:example:foo'/>`, want: stream.UnsupportedStanzaType},
		{name: "unknown element in content namespace", login: true, send: `<foo/>`, want: stream.UnsupportedStanzaType},
		{name: "stanza before auth", send: `<message to='alice@localhost'><body>hi</body></message>`, want: stream.NotAuthorized},
		{name: "iq before auth", send: `<iq type='get' id='1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, want: stream.NotAuthorized},
		{name: "spoofed from", login: true, send: `<message from='bob@localhost/x' to='alice@localhost'><body>hi</body></message>`, want: stream.InvalidFrom},
		{name: "sasl after auth", login: true, send: `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>`, want: stream.PolicyViolation},
	})
	// The server still serves after all that.
	s.login("alice", "secret").ping("after")
}

// TestStanzaErrors checks that bad stanzas get the exact stanza error
// (RFC 6120 §8.3.3) and that the session goes on.
func TestStanzaErrors(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	cl := s.login("alice", "secret")
	for _, tc := range []struct {
		name, send, kind, id, cond string
	}{
		{"iq bad type", `<iq type='bogus' id='i1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "iq", "i1", "bad-request"},
		{"iq without type", `<iq id='i2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, "iq", "i2", "bad-request"},
		{"iq get without payload", `<iq type='get' id='i3' to='localhost'/>`, "iq", "i3", "bad-request"},
		{"iq set with two payloads", `<iq type='set' id='i4' to='localhost'><a xmlns='urn:a'/><b xmlns='urn:b'/></iq>`, "iq", "i4", "bad-request"},
		{"message to malformed JID", `<message to='a@b@c' id='m1'><body>hi</body></message>`, "message", "m1", "jid-malformed"},
		{"message to empty localpart", `<message to='@localhost' id='m2'><body>hi</body></message>`, "message", "m2", "jid-malformed"},
		{"message to empty resource", `<message to='alice@localhost/' id='m3'><body>hi</body></message>`, "message", "m3", "jid-malformed"},
		{"presence to malformed JID", `<presence to='a@b@c' id='p1'/>`, "presence", "p1", "jid-malformed"},
		{"iq to malformed JID", `<iq type='get' to='a@b@c' id='i5'><ping xmlns='urn:xmpp:ping'/></iq>`, "iq", "i5", "jid-malformed"},
		{"unhandled iq", `<iq type='get' to='localhost' id='i6'><query xmlns='urn:example:nothing'/></iq>`, "iq", "i6", "service-unavailable"},
		{"message to a remote domain", `<message to='bob@example.net' id='m4'><body>hi</body></message>`, "message", "m4", "remote-server-not-found"},
		{"presence bad type", `<presence to='alice@localhost' type='bogus' id='p2'/>`, "presence", "p2", "bad-request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl.t = t
			cl.send(tc.send)
			cl.stanzaError(tc.kind, tc.id, tc.cond)
			cl.ping("p-" + tc.id)
		})
	}
}

// TestNoReplyToErrors checks that an error or result stanza that does not
// parse is dropped, never answered (RFC 6120 §8.3.1): the next answer is
// the ping's.
func TestNoReplyToErrors(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	cl := s.login("alice", "secret")
	cl.send(`<message type='error' to='a@b@c' id='e1'/>`)
	cl.send(`<iq type='result' to='a@b@c' id='e2'/>`)
	cl.send(`<iq type='error' to='a@b@c' id='e3'/>`)
	cl.send(`<iq type='result' to='localhost' id='e4'/>`)
	cl.ping("after")
}
