package e2e

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/ping"
	"mellium.im/xmpp/stanza"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/internal/testserver"
)

// client is a logged-in mellium session serving incoming stanzas.
type client struct {
	s      *xmpp.Session
	bodies chan string // bodies of received messages
	done   chan error  // Serve's result once the stream ends
}

type bodyMessage struct {
	stanza.Message
	Body string `xml:"body"`
}

// dial connects over TCP, negotiates STARTTLS, authenticates with
// SCRAM-SHA-256 and binds a resource.
func dial(ctx context.Context, srv *server, user, password string) (*xmpp.Session, error) {
	conn, err := net.Dial("tcp", srv.C2SAddr())
	if err != nil {
		return nil, err
	}
	s, err := xmpp.NewClientSession(ctx, jid.MustParse(user+"@localhost"), conn,
		xmpp.StartTLS(srv.tls),
		xmpp.SASL("", password, sasl.ScramSha256),
		xmpp.BindResource(),
	)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

func login(t *testing.T, srv *server, user, password string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := dial(ctx, srv, user, password)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	c := &client{s: s, bodies: make(chan string, 16), done: make(chan error, 1)}
	go func() {
		c.done <- s.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" {
				return nil
			}
			var m bodyMessage
			// The start element was consumed already: put it back so that
			// the decoder sees a balanced element.
			d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r))
			if err := d.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			c.bodies <- m.Body
			return nil
		}))
	}()
	t.Cleanup(func() { s.Close() })
	return c
}

func (c *client) expectBody(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-c.bodies:
		if got != want {
			t.Fatalf("got body %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no message with body %q", want)
	}
}

func (c *client) send(t *testing.T, to jid.JID, body string) {
	t.Helper()
	// context.Background: mellium.im/xmpp v0.22 arms the connection's write
	// deadline from a goroutine that can fire after Encode returns when the
	// context is cancelled at once, failing the next write with a timeout.
	m := bodyMessage{Message: stanza.Message{To: to, Type: stanza.ChatMessage}, Body: body}
	if err := c.s.Encode(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func TestC2SSQLite(t *testing.T) { runC2S(t) }

func TestC2SPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	runC2S(t, testserver.Postgres())
}

// runC2S is the TCP scenario every storage backend must pass.
func runC2S(t *testing.T, opts ...testserver.Option) {
	srv := start(t, opts...)
	srv.AddUser(t, "alice", "alice-pw")
	srv.AddUser(t, "bob", "bob-pw")
	alice := login(t, srv, "alice", "alice-pw")
	bob := login(t, srv, "bob", "bob-pw")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if alice.s.LocalAddr().Resourcepart() == "" {
		t.Fatalf("no resource bound: %s", alice.s.LocalAddr())
	}
	if st := alice.s.ConnectionState(); !st.HandshakeComplete {
		t.Fatal("stream is not encrypted")
	}

	t.Run("ping", func(t *testing.T) {
		if err := ping.Send(ctx, alice.s, jid.MustParse("localhost")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("disco#info", func(t *testing.T) {
		info, err := disco.GetInfo(ctx, "", jid.MustParse("localhost"), alice.s)
		if err != nil {
			t.Fatal(err)
		}
		var vars []string
		for _, f := range info.Features {
			vars = append(vars, f.Var)
		}
		for _, want := range []string{"urn:xmpp:ping", "http://jabber.org/protocol/disco#info", "urn:xmpp:time"} {
			if !slices.Contains(vars, want) {
				t.Errorf("features %v lack %s", vars, want)
			}
		}
		if len(info.Identity) == 0 || info.Identity[0].Category != "server" {
			t.Errorf("identities %v", info.Identity)
		}
	})
	t.Run("message", func(t *testing.T) {
		alice.send(t, bob.s.LocalAddr(), "hello bob")
		bob.expectBody(t, "hello bob")
		bob.send(t, alice.s.LocalAddr(), "hello alice")
		alice.expectBody(t, "hello alice")
	})
	t.Run("message to bare JID after presence", func(t *testing.T) {
		if err := bob.s.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
			t.Fatal(err)
		}
		// The presence is processed in order before the next stanza of
		// bob; a ping round trip makes sure it was.
		if err := ping.Send(ctx, bob.s, jid.MustParse("localhost")); err != nil {
			t.Fatal(err)
		}
		alice.send(t, jid.MustParse("bob@localhost"), "to the bare JID")
		bob.expectBody(t, "to the bare JID")
	})
	t.Run("wrong password", func(t *testing.T) {
		_, err := dial(ctx, srv, "alice", "nope")
		if err == nil || !strings.Contains(err.Error(), "not-authorized") {
			t.Fatalf("got %v, want not-authorized", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := dial(ctx, srv, "mallory", "nope")
		if err == nil || !strings.Contains(err.Error(), "not-authorized") {
			t.Fatalf("got %v, want not-authorized", err)
		}
	})
	t.Run("deleted while connected", func(t *testing.T) {
		if err := srv.Store().DeleteAccount(ctx, "localhost", "bob"); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		if resp := srv.Admin(t, admin.Request{Op: "kick", JID: "bob@localhost", Reason: "deleted"}); !resp.OK || resp.Sessions != 1 {
			t.Fatalf("admin reply %+v", resp)
		}
		select {
		case err := <-bob.done:
			if err == nil || !strings.Contains(err.Error(), "not-authorized") {
				t.Logf("stream ended with %v", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("still connected 2s after the account was deleted")
		}
		t.Logf("disconnected after %v", time.Since(began))
		if _, err := dial(ctx, srv, "bob", "bob-pw"); err == nil {
			t.Fatal("deleted user logged in")
		}
	})
	t.Run("password changed while connected", func(t *testing.T) {
		if resp := srv.Admin(t, admin.Request{Op: "kick", JID: "alice@localhost", Reason: "password"}); !resp.OK || resp.Sessions != 1 {
			t.Fatalf("admin reply %+v", resp)
		}
		select {
		case err := <-alice.done:
			t.Logf("stream ended with %v", err)
		case <-time.After(2 * time.Second):
			t.Fatal("still connected 2s after the password changed")
		}
	})
}
