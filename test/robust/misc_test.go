package robust

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/server/stream"
)

// TestMoreStreamErrors covers encodings, characters and shapes XML 1.0
// and RFC 6120 §11 forbid.
func TestMoreStreamErrors(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	streamErrors(t, s, []streamErrorCase{
		{name: "invalid UTF-8", login: true, send: "<message to='alice@localhost'><body>\xff\xfe</body></message>", want: stream.UnsupportedEncoding},
		{name: "control character", login: true, send: "<message to='alice@localhost'><body>\x01</body></message>", want: stream.NotWellFormed},
		{name: "latin-1 declaration", header: `<?xml version='1.0' encoding='ISO-8859-1'?>` + StreamHeader[len(`<?xml version='1.0'?>`):], want: stream.UnsupportedEncoding},
		{name: "too deep", login: true, send: `<message to='alice@localhost'>` + strings.Repeat("<a>", 2000) + strings.Repeat("</a>", 2000) + `</message>`, want: stream.PolicyViolation},
		{name: "too many attributes", login: true, send: `<message to='alice@localhost'><x xmlns='urn:x'` + manyAttrs(5000) + `/></message>`, want: stream.PolicyViolation},
		{name: "text at top level", login: true, send: `hello<presence/>`, want: stream.NotWellFormed},
		{name: "cdata at top level", login: true, send: `<![CDATA[x]]>`, want: stream.NotWellFormed},
		{name: "second header inside the stream", login: true, send: StreamHeader[len(`<?xml version='1.0'?>`):] + `</stream:stream>`, want: stream.UnsupportedStanzaType},
		{name: "header not a stream", header: `<foo xmlns='jabber:client'>`, want: stream.InvalidNamespace},
		{name: "session before bind", header: "", send: `<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`, want: stream.NotAuthorized},
	})
	s.login("alice", "secret").ping("after")
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(" a")
		b.WriteString(strings.Repeat("b", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(string(rune('a' + (i/26)%26)))
		b.WriteString(string(rune('a' + (i/676)%26)))
		b.WriteString("='1'")
	}
	return b.String()
}

// TestBindErrors checks resource binding errors (RFC 6120 §7.7).
func TestBindErrors(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	cl := s.open()
	cl.auth("PLAIN", plain("alice", "secret"))
	cl.expect("success")
	cl.restart()
	cl.send(`<iq type='get' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`)
	cl.stanzaError("iq", "b1", "bad-request")
	cl.send(`<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>` + strings.Repeat("r", 1100) + `</resource></bind></iq>`)
	cl.stanzaError("iq", "b2", "bad-request")
	cl.send(`<iq type='set' id='b3'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>a` + "\u202e" + `b</resource></bind></iq>`)
	cl.stanzaError("iq", "b3", "bad-request")
	cl.send(`<iq type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`)
	cl.stanzaError("iq", "", "bad-request")
	cl.send(`<iq type='set' id='b4'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>ok</resource></bind></iq>`)
	if el := cl.expect("iq"); el.SelectAttrValue("type", "") != "result" {
		t.Fatalf("bind: %s", stream.String(el))
	}
	cl.ping("after")
}

// TestClientClose checks the orderly ends a client can choose: its closing
// tag is answered with ours (RFC 6120 §4.4), whitespace keepalives are
// accepted (§4.6.1).
func TestClientClose(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	cl := s.login("alice", "secret")
	cl.send(" \n\t ")
	cl.ping("ka")
	cl.send(`</stream:stream>`)
	cl.closed()

	cl = s.login("alice", "secret")
	cl.send(`<stream:error><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`)
	cl.closed()

	// STARTTLS once authenticated: <failure/> and the end (RFC 6120 §5.4.2.2).
	cl = s.login("alice", "secret")
	cl.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
	if el := cl.expect("failure"); el.SelectAttrValue("xmlns", "") != "urn:ietf:params:xml:ns:xmpp-tls" {
		t.Fatalf("got %s", stream.String(el))
	}
	cl.closed()
}

// TestHandshakeTimeout checks that a client that opens a stream and goes
// quiet is closed with <connection-timeout/> (RFC 6120 §4.9.3.4).
func TestHandshakeTimeout(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.C2S.HandshakeTimeout = config.Duration{Duration: 200 * time.Millisecond} }))
	cl := s.open()
	cl.streamError(stream.ConnectionTimeout)
	cl = s.dial() // not even a header
	cl.header()
	cl.streamError(stream.ConnectionTimeout)
}
