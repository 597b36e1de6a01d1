package web

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/parley-xmpp/parley/internal/testserver"
)

// TestChatScenario runs the web client against the real server: alice logs
// in through the login form in Chromium, sees bob (a mutual contact,
// connected over TCP with mellium.im/xmpp) online, sends him a message and
// receives his reply; after a reload she is still logged in on the same
// BOSH session, without a new SASL exchange, with the conversation shown.
// Screenshots go to test/web/artifacts/.
func TestChatScenario(t *testing.T) {
	chromium := browser(t)
	srv := testserver.Start(t, testserver.LogLevel(zerolog.InfoLevel))
	base := webURL(t, srv)
	srv.AddUser(t, "alice", "alice-secret")
	srv.AddUser(t, "bob", "bob-secret")
	srv.Befriend(t, "alice", "bob")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bob := login(t, ctx, srv, "bob", "bob-secret")
	if err := bob.s.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
		t.Fatalf("bob's initial presence: %v", err)
	}

	const hello, reply = "hello from the browser", "pong: hello from the browser"
	wait := runBrowser(t, ctx, options{
		URL:       base + "/",
		Mode:      "chat",
		JID:       "alice@localhost",
		Password:  "alice-secret",
		Contact:   "bob@localhost",
		Send:      hello,
		Expect:    reply,
		Chromium:  chromium,
		Artifacts: artifactsDir(t),
		TimeoutMS: 30000,
	})
	// Bob answers alice's message over TCP.
	done := make(chan result, 1)
	go func() { done <- wait() }()
	select {
	case m := <-bob.msgs:
		if m.Body != hello || m.From.Bare().String() != "alice@localhost" {
			t.Errorf("bob received %q from %s", m.Body, m.From)
		}
		out := chatMessage{Message: stanza.Message{To: m.From, Type: stanza.ChatMessage}, Body: reply}
		if err := bob.s.Encode(ctx, out); err != nil {
			t.Errorf("bob's reply: %v", err)
		}
	case r := <-done:
		check(t, r)
		t.Fatal("the browser finished before bob got a message")
	case <-ctx.Done():
		t.Fatal("bob got no message")
	}
	r := <-done
	check(t, r)
	if r.OK {
		t.Logf("BOSH session %v kept across the reload; screenshots in %s", r.SIDs, artifactsDir(t))
	}
}

// webURL is the base URL of the first HTTP listener. The test fails when
// the app has no HTTP listener or does not serve the web client.
func webURL(t *testing.T, s *testserver.Server) string {
	t.Helper()
	base := s.HTTPURL()
	if base == "" || s.C2SAddr() == "" {
		t.Fatal("the app has no HTTP or c2s listener")
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case strings.Contains(string(page), "without its web client"):
		testserver.Unavailable(t, "the web client is not bundled (make web)")
	case resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "parley-config"):
		t.Fatalf("GET / does not serve the web client (%s)", resp.Status)
	}
	return base
}

// chatMessage is a message with a body.
type chatMessage struct {
	stanza.Message
	Body string `xml:"body"`
}

// client is a mellium session over TCP whose received messages with a
// body arrive on msgs.
type client struct {
	s    *xmpp.Session
	msgs chan chatMessage
}

// login connects over TCP, negotiates STARTTLS with the server's generated
// certificate, authenticates with SCRAM-SHA-256 and binds a resource.
func login(t *testing.T, ctx context.Context, s *testserver.Server, user, password string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", s.C2SAddr())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse(user+"@localhost"), conn,
		xmpp.StartTLS(s.TLSConfig(t)),
		xmpp.SASL("", password, sasl.ScramSha256),
		xmpp.BindResource(),
	)
	if err != nil {
		conn.Close()
		t.Fatalf("login %s: %v", user, err)
	}
	c := &client{s: sess, msgs: make(chan chatMessage, 16)}
	go sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		if start.Name.Local != "message" {
			return nil
		}
		var m chatMessage
		d := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r))
		if err := d.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if m.Body != "" {
			c.msgs <- m
		}
		return nil
	}))
	t.Cleanup(func() { sess.Close() })
	return c
}
