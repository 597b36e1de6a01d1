// Package robust checks that bad input gets a clear answer and loses
// nothing: the real server runs in-process on a loopback port and raw XML
// is written to it over TCP; each test asserts the exact stream error
// (RFC 6120 §4.9.3), stanza error (§8.3.3) or SASL failure (§6.5) the
// server answers with, and that the server keeps serving afterwards.
package robust

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/server/jid"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// ioTimeout bounds every read and write of a test client: a server that
// hangs fails the test instead of blocking it.
const ioTimeout = 5 * time.Second

// server is a running app on loopback, with the test its helpers fail.
type server struct {
	*testserver.Server
	t *testing.T
}

// start runs the app on 127.0.0.1 port 0 with a temp SQLite file (or
// PostgreSQL with testserver.Postgres), PLAIN allowed without TLS.
func start(t *testing.T, opts ...testserver.Option) *server {
	t.Helper()
	plain := testserver.Configure(func(c *config.Config) {
		c.C2S.RequireTLS = false
		c.Auth.SCRAMIterations = psasl.DefaultIterations
	})
	return &server{Server: testserver.Start(t, append([]testserver.Option{plain}, opts...)...), t: t}
}

// addr is the first c2s listener.
func (s *server) addr() string { return s.C2SAddr() }

// streamErrorCase is a bad stream and the stream error it must get.
type streamErrorCase struct {
	name   string
	login  bool   // authenticate alice (password "secret") and bind first
	header string // replaces StreamHeader when set
	send   string
	want   stream.Condition
}

// streamErrors runs each case in a subtest on a new connection: it sends
// the case's text and checks the stream error (RFC 6120 §4.9.3) and that
// the server closes the stream and the connection.
func streamErrors(t *testing.T, s *server, cases []streamErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{Server: s.Server, t: t}
			var cl *client
			switch {
			case tc.login:
				cl = s.login("alice", "secret")
			case tc.header != "":
				cl = s.dial()
				cl.send(tc.header)
				cl.header()
			default:
				cl = s.open()
			}
			cl.send(tc.send)
			cl.streamError(tc.want)
		})
	}
}

// client is a raw TCP client: it writes XML text and reads the server's
// stream with the stream decoder, one top-level element at a time.
type client struct {
	t   *testing.T
	c   net.Conn
	dec *stream.Decoder
}

// StreamHeader is a well-formed initial stream header to localhost.
const StreamHeader = `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`

// dial connects to the server without sending anything.
func (s *server) dial() *client {
	s.t.Helper()
	c, err := net.DialTimeout("tcp", s.addr(), ioTimeout)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	return &client{t: s.t, c: c, dec: stream.NewDecoder(c, stream.TCPOptions(1<<20))}
}

// open connects and negotiates up to the first stream features.
func (s *server) open() *client {
	s.t.Helper()
	cl := s.dial()
	cl.send(StreamHeader)
	cl.header()
	cl.expect("features")
	return cl
}

// login opens a stream, authenticates local with PLAIN and binds the
// resource "r".
func (s *server) login(local, password string) *client {
	s.t.Helper()
	cl := s.open()
	cl.auth("PLAIN", plain(local, password))
	if el := cl.next(); el.Tag != "success" {
		s.t.Fatalf("login %s: got %s, want <success/>", local, stream.String(el))
	}
	cl.restart()
	cl.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`)
	if el := cl.next(); el.Tag != "iq" || el.SelectAttrValue("type", "") != "result" {
		s.t.Fatalf("bind: got %s", stream.String(el))
	}
	return cl
}

// plain is the base64 PLAIN initial response of local and password.
func plain(local, password string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + local + "\x00" + password))
}

// auth sends <auth/> with the given mechanism and base64 text.
func (cl *client) auth(mech, b64 string) {
	cl.send(fmt.Sprintf(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='%s'>%s</auth>`, mech, b64))
}

// restart opens a new stream after SASL success (RFC 6120 §6.4.6).
func (cl *client) restart() {
	cl.t.Helper()
	cl.dec.Reset(cl.c)
	cl.send(StreamHeader)
	cl.header()
	cl.expect("features")
}

// send writes raw XML text.
func (cl *client) send(s string) {
	cl.t.Helper()
	cl.c.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := io.WriteString(cl.c, s); err != nil {
		cl.t.Fatalf("write: %v", err)
	}
}

// header reads the server's stream header.
func (cl *client) header() stream.Header {
	cl.t.Helper()
	cl.c.SetReadDeadline(time.Now().Add(ioTimeout))
	h, err := cl.dec.Header()
	if err != nil {
		cl.t.Fatalf("reading the response header: %v", err)
	}
	return h
}

// next reads the next top-level element.
func (cl *client) next() *etree.Element {
	cl.t.Helper()
	el, err := cl.nextErr()
	if err != nil {
		cl.t.Fatalf("reading: %v", err)
	}
	return el
}

func (cl *client) nextErr() (*etree.Element, error) {
	cl.c.SetReadDeadline(time.Now().Add(ioTimeout))
	return cl.dec.Next()
}

// expect reads the next element and checks its name.
func (cl *client) expect(tag string) *etree.Element {
	cl.t.Helper()
	el := cl.next()
	if el.Tag != tag {
		cl.t.Fatalf("got %s, want <%s/>", stream.String(el), tag)
	}
	return el
}

// streamError reads until the stream error, checks its condition (in the
// xmpp-streams namespace, RFC 6120 §4.9.2), then checks that the server
// closes the stream (RFC 6120 §4.9.1.1) and the connection.
func (cl *client) streamError(want stream.Condition) {
	cl.t.Helper()
	for {
		el, err := cl.nextErr()
		if err != nil {
			cl.t.Fatalf("want <%s/> stream error, got read error %v", want, err)
		}
		if el.Tag != "error" || el.NamespaceURI() != stream.NSStream && el.SelectAttrValue("xmlns", "") != stream.NSStream {
			continue // output queued before the error
		}
		cond := firstChild(el)
		if cond == nil || cond.Tag != string(want) || cond.SelectAttrValue("xmlns", "") != stream.NSStreamErrors {
			cl.t.Fatalf("got stream error %s, want <%s/>", stream.String(el), want)
		}
		break
	}
	cl.closed()
}

// closed checks that the server closed its stream and then the connection.
func (cl *client) closed() {
	cl.t.Helper()
	if el, err := cl.nextErr(); !errors.Is(err, io.EOF) {
		cl.t.Fatalf("after the error: got %v %v, want the closing tag", el, err)
	}
	cl.c.SetReadDeadline(time.Now().Add(ioTimeout))
	if n, err := cl.c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		cl.t.Fatalf("after the closing tag: read %d bytes, %v; want EOF", n, err)
	}
}

// saslFailure reads a SASL <failure/> and checks its condition (RFC 6120
// §6.5).
func (cl *client) saslFailure(want psasl.Condition) {
	cl.t.Helper()
	el := cl.expect("failure")
	if el.SelectAttrValue("xmlns", "") != psasl.NS {
		cl.t.Fatalf("failure in the wrong namespace: %s", stream.String(el))
	}
	if c := firstChild(el); c == nil || c.Tag != string(want) {
		cl.t.Fatalf("got %s, want <%s/>", stream.String(el), want)
	}
}

// stanzaError reads the next stanza and checks that it is an error of the
// given kind, id and condition (RFC 6120 §8.3).
func (cl *client) stanzaError(kind, id, cond string) *etree.Element {
	cl.t.Helper()
	el := cl.expect(kind)
	if el.SelectAttrValue("type", "") != "error" || el.SelectAttrValue("id", "") != id {
		cl.t.Fatalf("got %s, want a %s error with id %q", stream.String(el), kind, id)
	}
	e := el.SelectElement("error")
	if e == nil {
		cl.t.Fatalf("no <error/> in %s", stream.String(el))
	}
	for _, c := range e.ChildElements() {
		if c.Tag == cond && c.SelectAttrValue("xmlns", "") == "urn:ietf:params:xml:ns:xmpp-stanzas" {
			return el
		}
	}
	cl.t.Fatalf("got %s, want <%s/>", stream.String(el), cond)
	return nil
}

// ping sends an XEP-0199 ping to the server and waits for the result:
// the session survived what came before.
func (cl *client) ping(id string) {
	cl.t.Helper()
	cl.send(`<iq type='get' to='localhost' id='` + id + `'><ping xmlns='urn:xmpp:ping'/></iq>`)
	el := cl.expect("iq")
	if el.SelectAttrValue("type", "") != "result" || el.SelectAttrValue("id", "") != id {
		cl.t.Fatalf("ping: got %s", stream.String(el))
	}
}

func firstChild(el *etree.Element) *etree.Element {
	if cs := el.ChildElements(); len(cs) > 0 {
		return cs[0]
	}
	return nil
}

// big returns n bytes of text.
func big(n int) string { return strings.Repeat("x", n) }

func mustJID(s string) jid.JID { return jid.MustParse(s) }
