package server

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/sqlite"
	"github.com/rs/zerolog"
)

// newStore returns a migrated SQLite store in a temp dir with the users
// (local → password) on localhost.
func newStore(t testing.TB, users map[string]string) storage.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for u, p := range users {
		addUser(t, st, u, p)
	}
	return st
}

func addUser(t testing.TB, st storage.Store, local, password string) {
	t.Helper()
	creds, err := sasl.NewCredentials(password, 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := st.CreateAccount(context.Background(), "localhost", local, sc); err != nil {
		t.Fatal(err)
	}
}

func newCore(t testing.TB, opts Options, users map[string]string) *Core {
	t.Helper()
	if opts.Domains == nil {
		opts.Domains = []string{"localhost"}
	}
	opts.Logger = zerolog.Nop()
	c := NewCore(newStore(t, users), opts)
	c.RegisterServices()
	return c
}

// recorder is a Transport for tests: it records what the core asks for;
// the test drains the session itself.
type recorder struct {
	mu      sync.Mutex
	headers []stream.ResponseHeader
	closed  bool
	err     *stream.Error
	s       *Session
}

func (r *recorder) Notify() {}

func (r *recorder) OpenStream(h stream.ResponseHeader) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, h)
}

func (r *recorder) Close(err *stream.Error) {
	r.mu.Lock()
	r.closed, r.err = true, err
	r.mu.Unlock()
	go r.s.End(err) // a transport ends the session once gone
}

func (r *recorder) state() (bool, *stream.Error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed, r.err
}

// client drives a session as a client would.
type client struct {
	t   testing.TB
	rec *recorder
	s   *Session
}

func newClient(t testing.TB, c *Core, info TransportInfo) *client {
	rec := &recorder{}
	if info.Kind == "" {
		info.Kind = "c2s"
	}
	if info.RemoteAddr == "" {
		info.RemoteAddr = "127.0.0.1:5000"
	}
	rec.s = c.NewSession(rec, info)
	return &client{t: t, rec: rec, s: rec.s}
}

// header decodes a stream header from XML text.
func header(t testing.TB, attrs string) stream.Header {
	t.Helper()
	d := stream.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='"+stream.NSStream+"' "+attrs+">"), stream.TCPOptions(0))
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// elem decodes one top-level element as the c2s decoder would.
func elem(t testing.TB, x string) *etree.Element {
	t.Helper()
	d := stream.NewDecoder(strings.NewReader("<stream:stream xmlns='jabber:client' xmlns:stream='"+stream.NSStream+"'>"+x), stream.TCPOptions(0))
	el, err := d.Next()
	if err != nil {
		t.Fatalf("decode %s: %v", x, err)
	}
	return el
}

func (c *client) open() Step {
	return c.s.Open(header(c.t, "to='localhost' version='1.0'"))
}

func (c *client) send(x string) Step {
	c.t.Helper()
	return c.s.Receive(elem(c.t, x))
}

// drain returns the queued output as strings.
func (c *client) drain() []string {
	var out []string
	for _, el := range c.s.Drain(nil) {
		out = append(out, stream.String(el))
	}
	return out
}

// expect drains and fails unless exactly one element containing every
// part was queued.
func (c *client) expect(parts ...string) string {
	c.t.Helper()
	out := c.drain()
	if len(out) != 1 {
		c.t.Fatalf("got %d elements %q, want 1 containing %q", len(out), out, parts)
	}
	for _, p := range parts {
		if !strings.Contains(out[0], p) {
			c.t.Fatalf("got %s, want it to contain %q", out[0], p)
		}
	}
	return out[0]
}

// login authenticates with PLAIN and binds resource (secure transport).
func login(t testing.TB, c *Core, user, pass, resource string) *client {
	t.Helper()
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	if st := cl.send(plainAuth(user, pass)); st != StepRestart {
		t.Fatalf("auth step %v, out %q", st, cl.drain())
	}
	cl.expect("<success")
	cl.open()
	cl.expect("<bind")
	res := ""
	if resource != "" {
		res = "<resource>" + resource + "</resource>"
	}
	cl.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + res + "</bind></iq>")
	cl.expect("type=\"result\"", "<jid>")
	return cl
}
