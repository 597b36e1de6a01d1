// Package imtest runs the real session core in-process for the unit tests
// of the instant messaging packages: sessions are driven through the
// transport interface without sockets, and routing is synchronous, so a
// test sends an element and drains the recipients' queues at once.
package imtest

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/sqlite"
)

// Password is the password of every user Core creates.
const Password = "secret"

// Core returns a session core for domain localhost on a fresh SQLite
// store, with the users (localparts) created and the server's own IQ
// services registered.
func Core(t testing.TB, users ...string) *server.Core {
	t.Helper()
	return CoreWith(t, server.Options{}, users...)
}

// CoreWith is Core with options (Domains and Logger are set).
func CoreWith(t testing.TB, opts server.Options, users ...string) *server.Core {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "im.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		AddUser(t, st, u)
	}
	opts.Domains, opts.Logger = []string{"localhost"}, zerolog.Nop()
	c := server.NewCore(st, opts)
	c.RegisterServices()
	return c
}

// AddUser creates local@localhost with Password.
func AddUser(t testing.TB, st storage.Store, local string) {
	t.Helper()
	creds, err := sasl.NewCredentials(Password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations,
			StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := st.CreateAccount(context.Background(), "localhost", local, sc); err != nil {
		t.Fatal(err)
	}
}

// transport is a server.Transport without a socket.
type transport struct {
	mu     sync.Mutex
	closed bool
	s      *server.Session
}

func (tr *transport) Notify()                            {}
func (tr *transport) OpenStream(h stream.ResponseHeader) {}
func (tr *transport) Close(err *stream.Error) {
	tr.mu.Lock()
	tr.closed = true
	tr.mu.Unlock()
	tr.s.End(err)
}

// Client is one bound session driven by a test.
type Client struct {
	t  testing.TB
	tr *transport
	S  *server.Session
	// JID is the session's full JID.
	JID jid.JID
	// Features are the stream features offered after authentication.
	Features string
}

// Login authenticates local@localhost and binds resource.
func Login(t testing.TB, c *server.Core, local, resource string) *Client {
	t.Helper()
	tr := &transport{}
	tr.s = c.NewSession(tr, server.TransportInfo{Kind: "c2s", RemoteAddr: "127.0.0.1:5000", Secure: true})
	cl := &Client{t: t, tr: tr, S: tr.s}
	cl.S.Open(header(t))
	auth := "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00"+local+"\x00"+Password)) + "</auth>"
	if st := cl.S.Receive(Elem(t, auth)); st != server.StepRestart {
		t.Fatalf("login %s: auth step %v: %q", local, st, cl.DrainStrings())
	}
	cl.S.Open(header(t))
	cl.Features = strings.Join(cl.DrainStrings(), "")
	cl.Send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
		resource + "</resource></bind></iq>")
	cl.S.Drain(nil)
	cl.JID = cl.S.JID()
	if cl.JID.Resourcepart() != resource {
		t.Fatalf("login %s: bound %s", local, cl.JID)
	}
	t.Cleanup(func() { cl.End() })
	return cl
}

// End ends the session as a transport that went away does.
func (c *Client) End() { c.S.End(nil) }

func header(t testing.TB) stream.Header {
	d := stream.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='"+
		stream.NSStream+"' to='localhost' version='1.0'>"), stream.TCPOptions(0))
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Elem decodes one top-level element as the c2s decoder would.
func Elem(t testing.TB, x string) *etree.Element {
	t.Helper()
	d := stream.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='"+
		stream.NSStream+"'>"+x), stream.TCPOptions(0))
	el, err := d.Next()
	if err != nil {
		t.Fatalf("decode %s: %v", x, err)
	}
	return el
}

// Send hands one element to the session, as read from the client.
func (c *Client) Send(x string) {
	c.t.Helper()
	if st := c.S.Receive(Elem(c.t, x)); st == server.StepClose {
		c.t.Fatalf("%s: session closed after %s", c.JID, x)
	}
}

// Drain returns the queued output.
func (c *Client) Drain() []*etree.Element { return c.S.Drain(nil) }

// DrainStrings returns the queued output serialised.
func (c *Client) DrainStrings() []string {
	var out []string
	for _, el := range c.Drain() {
		out = append(out, stream.String(el))
	}
	return out
}

// Expect drains the queue and fails unless it holds exactly one element
// per pattern, in order, each containing every part of its pattern
// (parts separated by "|").
func (c *Client) Expect(patterns ...string) []string {
	c.t.Helper()
	out := c.DrainStrings()
	if len(out) != len(patterns) {
		c.t.Fatalf("%s got %d elements, want %d:\n%s", c.JID, len(out), len(patterns), strings.Join(out, "\n"))
	}
	for i, p := range patterns {
		for _, part := range strings.Split(p, "|") {
			if !strings.Contains(out[i], part) {
				c.t.Fatalf("%s element %d:\n%s\nwant it to contain %q", c.JID, i, out[i], part)
			}
		}
	}
	return out
}

// ExpectNone fails when anything is queued.
func (c *Client) ExpectNone() {
	c.t.Helper()
	c.Expect()
}
