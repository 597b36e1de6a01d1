// Package strophe runs Strophe.js (under node) against the real server
// over BOSH, talking to a mellium.im/xmpp client on TCP.
package strophe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
	"github.com/rs/zerolog"
)

const wait = 20 * time.Second

// unavailable skips the test when node cannot run it, or fails it under
// CI or PARLEY_REQUIRE_BROWSER=1.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("PARLEY_REQUIRE_BROWSER") == "1" || os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

var (
	installOnce sync.Once
	installErr  error
)

// install runs `npm ci` here once when node_modules is missing, from the
// committed lockfile.
func install(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		unavailable(t, "no node in PATH (apt-get install nodejs npm)")
	}
	installOnce.Do(func() {
		if _, err := os.Stat(filepath.Join("node_modules", "strophe.js", "package.json")); err == nil {
			return
		}
		if _, err := exec.LookPath("npm"); err != nil {
			installErr = errors.New("node_modules missing and no npm to install it")
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund").CombinedOutput()
		if err != nil {
			installErr = errors.New("npm ci: " + err.Error() + ": " + string(out))
		}
	})
	if installErr != nil {
		unavailable(t, installErr.Error())
	}
}

// startServer runs the app on loopback with alice and bob, mutual
// presence contacts.
func startServer(t *testing.T) (*app.App, *config.Config) {
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
	ctx := context.Background()
	a, err := app.New(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
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
	st := a.Store()
	for _, u := range []string{"alice", "bob"} {
		creds, err := psasl.NewCredentials("secret", cfg.Auth.SCRAMIterations)
		if err != nil {
			t.Fatal(err)
		}
		var sc []storage.Credential
		for _, c := range creds {
			sc = append(sc, storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations, StoredKey: c.StoredKey, ServerKey: c.ServerKey})
		}
		if err := st.CreateAccount(ctx, "localhost", u, sc); err != nil {
			t.Fatal(err)
		}
	}
	for _, pair := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		_, _, err := st.UpdateRosterItem(ctx, "localhost", pair[0], pair[1]+"@localhost",
			func(*storage.RosterItem) (*storage.RosterItem, error) {
				return &storage.RosterItem{Contact: pair[1] + "@localhost", Subscription: "both"}, nil
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a, cfg
}

// tcpClient is bob: mellium.im/xmpp over TCP with STARTTLS; every stanza
// it receives is serialised into in.
type tcpClient struct {
	sess *xmpp.Session
	in   chan string
}

func dialBob(t *testing.T, a *app.App, cfg *config.Config) *tcpClient {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(cfg.DataDir, tlsutil.SelfSignedCert))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tc := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := net.Dial("tcp", a.C2SAddrs()[0].String())
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
	install(t)
	a, cfg := startServer(t)
	bob := dialBob(t, a, cfg)
	bob.send(t, `<presence/>`)
	url := "http://" + a.HTTPAddrs()[0].String() + cfg.BOSH.Path
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
