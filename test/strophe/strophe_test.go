// Package strophe runs Strophe.js (under node) against the real server
// over BOSH, talking to a mellium.im/xmpp client on TCP.
package strophe

import (
	"bufio"
	"context"
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/internal/testserver"
)

const wait = 20 * time.Second

// startServer runs the app on loopback with alice and bob, mutual
// presence contacts. Node.js and strophe.js must be there: the test skips
// without them, or fails under CI or PARLEY_REQUIRE_BROWSER=1.
func startServer(t *testing.T) *testserver.Server {
	t.Helper()
	testserver.NodeModules(t, "strophe.js")
	s := testserver.Start(t)
	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	s.Befriend(t, "alice", "bob")
	return s
}

// tcpClient is bob: mellium.im/xmpp over TCP with STARTTLS; every stanza
// it receives is serialised into in.
type tcpClient struct {
	sess *xmpp.Session
	in   chan string
}

func dialBob(t *testing.T, s *testserver.Server) *tcpClient {
	t.Helper()
	tc := s.TLSConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := net.Dial("tcp", s.C2SAddr())
	if err != nil {
		t.Fatal(err)
	}
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse("bob@localhost/tcp"), conn,
		xmpp.StartTLS(tc), xmpp.SASL("", "secret", sasl.ScramSha256), xmpp.BindResource())
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	c := &tcpClient{sess: sess, in: make(chan string, 64)}
	go sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
		var b strings.Builder
		e := xml.NewEncoder(&b)
		if _, err := xmlstream.Copy(e, xmlstream.MultiReader(xmlstream.Token(*start), r)); err != nil {
			return err
		}
		if err := e.Flush(); err != nil {
			return err
		}
		c.in <- b.String()
		return nil
	}))
	t.Cleanup(func() { sess.Close(); conn.Close() })
	return c
}

// send writes one raw stanza.
func (c *tcpClient) send(t *testing.T, x string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.sess.Send(ctx, xml.NewDecoder(strings.NewReader(x))); err != nil {
		t.Fatal(err)
	}
}

// expect waits for a stanza containing every part.
func (c *tcpClient) expect(t *testing.T, parts ...string) string {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case got := <-c.in:
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(got, p)
			}
			if ok {
				return got
			}
		case <-deadline:
			t.Fatalf("bob never received %q", parts)
		}
	}
}

// TestB270_B161_B166_StropheOverBOSH: Strophe.js logs in over BOSH, exchanges messages
// with bob on TCP and terminates; bob sees alice's unavailable presence
// (bosh-requirements B-161, B-166, B-221, B-227, B-230, B-270).
func TestB270_B161_B166_StropheOverBOSH(t *testing.T) {
	srv := startServer(t)
	bob := dialBob(t, srv)
	bob.send(t, `<presence/>`)
	url := srv.BOSHURL()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "login.mjs", url, "alice@localhost", "secret")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "@@ "); ok {
				lines <- l
			} else {
				t.Log("strophe:", sc.Text())
			}
		}
		close(lines)
	}()
	next := func(prefix string) string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok || !strings.HasPrefix(l, prefix) {
				t.Fatalf("strophe: got %q, want %q...", l, prefix)
			}
			return l
		case <-time.After(wait):
			t.Fatalf("strophe: no %q", prefix)
		}
		return ""
	}
	full := strings.TrimPrefix(next("connected "), "connected ")
	if !strings.HasPrefix(full, "alice@localhost/") {
		t.Fatalf("bound %q", full)
	}
	bob.expect(t, `<presence`, `from="`+full+`"`)
	bob.send(t, `<message type='chat' to='`+full+`'><body>ping from mellium</body></message>`)
	if l := next("message bob@localhost/"); !strings.HasSuffix(l, " ping from mellium") {
		t.Fatalf("strophe got %q", l)
	}
	bob.expect(t, `<message`, `pong from strophe`, `from="`+full+`"`)
	next("disconnected")
	bob.expect(t, `<presence`, `type="unavailable"`, `from="`+full+`"`)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}
