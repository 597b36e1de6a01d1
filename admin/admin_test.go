package admin

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/sqlite"
)

// newCore returns a core on a fresh SQLite store with alice@localhost.
func newCore(t *testing.T) *server.Core {
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
	creds, err := sasl.NewCredentials("pw", 4096)
	if err != nil {
		t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := st.CreateAccount(ctx, "localhost", "alice", sc); err != nil {
		t.Fatal(err)
	}
	return server.NewCore(st, server.Options{Domains: []string{"localhost"}, Logger: zerolog.Nop()})
}

// transport records how the core closed a session.
type transport struct {
	mu     sync.Mutex
	s      *server.Session
	closed chan *stream.Error
}

func (tr *transport) Notify()                          {}
func (tr *transport) OpenStream(stream.ResponseHeader) {}
func (tr *transport) Close(err *stream.Error) {
	tr.closed <- err
	go tr.s.End(err)
}

// authenticate runs a session of alice up to SASL success.
func authenticate(t *testing.T, c *server.Core) *transport {
	t.Helper()
	tr := &transport{closed: make(chan *stream.Error, 1)}
	tr.s = c.NewSession(tr, server.TransportInfo{Kind: "c2s", RemoteAddr: "127.0.0.1:1", Secure: true})
	b64 := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00pw"))
	d := stream.NewDecoder(strings.NewReader(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`+
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>`+b64+`</auth>`), stream.TCPOptions(0))
	h, err := d.Header()
	if err != nil {
		t.Fatal(err)
	}
	tr.s.Open(h)
	el, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if step := tr.s.Receive(el); step != server.StepRestart {
		t.Fatalf("auth step %v", step)
	}
	return tr
}

func listen(t *testing.T, c *server.Core) *Server {
	t.Helper()
	s, err := Listen(filepath.Join(t.TempDir(), SocketName), c, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// exchange sends lines on one connection and returns the replies.
func exchange(t *testing.T, path string, lines ...string) []Response {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	sc := bufio.NewScanner(c)
	var out []Response
	for _, l := range lines {
		if _, err := c.Write([]byte(l + "\n")); err != nil {
			t.Fatal(err)
		}
		if !sc.Scan() {
			t.Fatalf("no reply to %s: %v", l, sc.Err())
		}
		var r Response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("reply %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestOps(t *testing.T) {
	c := newCore(t)
	s := listen(t, c)
	var pushed []jid.JID
	s.OnRoster(func(u jid.JID) { pushed = append(pushed, u) })
	tr := authenticate(t, c)
	got := exchange(t, s.Addr(),
		`{"op":"kick","jid":"alice@localhost","reason":"password"}`,
		`{"op":"kick","jid":"alice@localhost","reason":"password"}`, // twice: harmless
		`{"op":"kick","jid":"alice@localhost/res","reason":"roster"}`,
		`{"op":"kick","jid":"nobody@localhost","reason":"deleted"}`,
		`not json`,
		`{"op":"reboot"}`,
		`{"op":"kick","jid":"a@b@c","reason":"deleted"}`,
		`{"op":"kick","jid":"localhost","reason":"deleted"}`,
		`{"op":"kick","jid":"alice@localhost","reason":"bored"}`,
	)
	want := []Response{
		{OK: true, Sessions: 1},
		{OK: true},
		{OK: true},
		{OK: true},
		{Error: "invalid JSON"},
		{Error: "unknown op reboot"},
		{Error: "invalid jid"},
		{Error: "invalid jid"},
		{Error: "unknown reason bored"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reply %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	select {
	case err := <-tr.closed:
		if err == nil || err.Condition != stream.Reset {
			t.Fatalf("kicked with %v, want <reset/>", err)
		}
	default:
		t.Fatal("the session was not closed")
	}
	if len(pushed) != 1 || pushed[0].String() != "alice@localhost" {
		t.Fatalf("roster pushes %v, want alice@localhost", pushed)
	}
}

func TestSocketFile(t *testing.T) {
	c := newCore(t)
	path := filepath.Join(t.TempDir(), SocketName)
	// A stale socket left by a crashed server is replaced.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	s, err := Listen(path, c, zerolog.Nop())
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket mode %v, want 0600", perm)
	}
	// A live one belongs to another server.
	if _, err := Listen(path, c, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Listen on a live socket: %v", err)
	}
	if r := exchange(t, path, `{"op":"kick","jid":"alice@localhost","reason":"deleted"}`); !r[0].OK {
		t.Fatalf("the first server stopped answering: %+v", r[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

// TestLongLine checks that an oversized request ends the connection
// without harming the server.
func TestLongLine(t *testing.T) {
	c := newCore(t)
	s := listen(t, c)
	conn, err := net.Dial("unix", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte(strings.Repeat("x", 128<<10) + "\n"))
	buf := make([]byte, 1)
	if n, _ := conn.Read(buf); n != 0 {
		t.Fatalf("got a reply to an oversized line")
	}
	conn.Close()
	if r := exchange(t, s.Addr(), `{"op":"kick","jid":"alice@localhost","reason":"deleted"}`); !r[0].OK {
		t.Fatalf("%+v", r[0])
	}
}
