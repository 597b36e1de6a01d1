package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
)

// TestChatScenario runs the web client against the real server: alice logs
// in through the login form in Chromium, sees bob (a mutual contact,
// connected over TCP with mellium.im/xmpp) online, sends him a message and
// receives his reply; after a reload she is still logged in on the same
// BOSH session, without a new SASL exchange, with the conversation shown.
// Screenshots go to test/web/artifacts/.
func TestChatScenario(t *testing.T) {
	chromium := browser(t)
	srv := startApp(t)
	base := srv.httpURL(t)
	srv.addUser("alice", "alice-secret")
	srv.addUser("bob", "bob-secret")
	srv.befriend("alice", "bob")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bob := srv.login(ctx, "bob", "bob-secret")
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

// testServer is the app running in-process on loopback port 0.
type testServer struct {
	t   *testing.T
	app *app.App
	cfg *config.Config
}

// startApp starts the app with a temporary SQLite file, c2s and plain HTTP
// on 127.0.0.1 port 0.
func startApp(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Domains = []string{"localhost"}
	cfg.DataDir = dir
	cfg.Storage.Driver, cfg.Storage.DSN = "sqlite", filepath.Join(dir, "parley.db")
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	cfg.Auth.SCRAMIterations = 4096
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	ctx := context.Background()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		a.Shutdown(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testServer{t: t, app: a, cfg: cfg}
}

// httpURL is the base URL of the first HTTP listener. The test fails when
// the app has no HTTP listener or does not serve the web client.
func (s *testServer) httpURL(t *testing.T) string {
	t.Helper()
	addrs := s.app.HTTPAddrs()
	if len(addrs) == 0 || len(s.app.C2SAddrs()) == 0 {
		t.Fatal("the app has no HTTP or c2s listener")
	}
	base := "http://" + addrs[0].String()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch {
	case strings.Contains(string(page), "without its web client"):
		unavailable(t, "the web client is not bundled (make web)")
	case resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "parley-config"):
		t.Fatalf("GET / does not serve the web client (%s)", resp.Status)
	}
	return base
}

// addUser creates local@localhost as `parley user add` does.
func (s *testServer) addUser(local, password string) {
	s.t.Helper()
	creds, err := psasl.NewCredentials(password, s.cfg.Auth.SCRAMIterations)
	if err != nil {
		s.t.Fatal(err)
	}
	var sc []storage.Credential
	for _, c := range creds {
		sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
	}
	if err := s.app.Store().CreateAccount(context.Background(), "localhost", local, sc); err != nil {
		s.t.Fatal(err)
	}
}

// befriend makes a and b mutual contacts with subscription both, as
// `parley roster add A B --subscription both` run for both sides does.
func (s *testServer) befriend(a, b string) {
	s.t.Helper()
	for _, p := range [][2]string{{a, b}, {b, a}} {
		contact := p[1] + "@localhost"
		_, _, err := s.app.Store().UpdateRosterItem(context.Background(), "localhost", p[0], contact,
			func(*storage.RosterItem) (*storage.RosterItem, error) {
				return &storage.RosterItem{Contact: contact, Subscription: storage.SubBoth}, nil
			})
		if err != nil {
			s.t.Fatal(err)
		}
	}
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
func (s *testServer) login(ctx context.Context, user, password string) *client {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.app.C2SAddrs()[0].String())
	if err != nil {
		s.t.Fatal(err)
	}
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse(user+"@localhost"), conn,
		xmpp.StartTLS(s.tlsConfig()),
		xmpp.SASL("", password, sasl.ScramSha256),
		xmpp.BindResource(),
	)
	if err != nil {
		conn.Close()
		s.t.Fatalf("login %s: %v", user, err)
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
	s.t.Cleanup(func() { sess.Close() })
	return c
}

// tlsConfig trusts the server's generated self-signed certificate.
func (s *testServer) tlsConfig() *tls.Config {
	s.t.Helper()
	pem, err := os.ReadFile(filepath.Join(s.cfg.DataDir, tlsutil.SelfSignedCert))
	if err != nil {
		s.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		s.t.Fatal("cannot parse the generated certificate")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}
