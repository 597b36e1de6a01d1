// Package im runs the instant messaging scenarios of RFC 6121 end to end:
// the real server in-process on random loopback ports, driven over TCP
// with STARTTLS by a third-party client library (mellium.im/xmpp).
package im

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/test/im/imtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// wait bounds every wait for the server.
const wait = 5 * time.Second

// srv is a running server.
type srv struct {
	t     *testing.T
	app   *app.App
	store storage.Store
	addr  string
	tls   *tls.Config
}

// start runs the real server (the composition root, as `parley serve`
// does) on 127.0.0.1 port 0 with a temporary SQLite file, or with the
// PostgreSQL database pgDSN when set.
func start(t *testing.T, pgDSN string) *srv {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Domains = []string{"localhost"}
	cfg.DataDir = dir
	cfg.Storage.Driver, cfg.Storage.DSN = "sqlite", filepath.Join(dir, "parley.db")
	if pgDSN != "" {
		cfg.Storage.Driver, cfg.Storage.DSN = "postgres", pgDSN
	}
	cfg.C2S.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.Listen = []string{"127.0.0.1:0"}
	cfg.HTTP.TLSListen = []string{}
	cfg.Auth.SCRAMIterations = 4096
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
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
	pem, err := os.ReadFile(filepath.Join(dir, tlsutil.SelfSignedCert))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &srv{t: t, app: a, store: a.Store(), addr: a.C2SAddrs()[0].String(),
		tls: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
}

// user creates local@localhost.
func (s *srv) user(local string) { imtest.AddUser(s.t, s.store, local) }

// client is a logged-in mellium session; every stanza it receives is
// serialised into in.
type client struct {
	t    *testing.T
	s    *xmpp.Session
	jid  jid.JID
	in   chan string
	done chan error
	once sync.Once
	conn net.Conn
}

// login connects over TCP with STARTTLS, authenticates with SCRAM-SHA-256
// and binds resource.
func (s *srv) login(local, resource string) *client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	addr := jid.MustParse(local + "@localhost/" + resource)
	sess, err := xmpp.NewClientSession(ctx, addr, conn,
		xmpp.StartTLS(s.tls), xmpp.SASL("", imtest.Password, sasl.ScramSha256), xmpp.BindResource())
	if err != nil {
		conn.Close()
		s.t.Fatalf("login %s: %v", addr, err)
	}
	c := &client{t: s.t, s: sess, jid: sess.LocalAddr(), in: make(chan string, 256), done: make(chan error, 1), conn: conn}
	go func() {
		c.done <- sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			x, err := serialise(xmlstream.MultiReader(xmlstream.Token(*start), r))
			if err != nil {
				return err
			}
			c.in <- x
			return nil
		}))
	}()
	s.t.Cleanup(func() { c.close() })
	return c
}

// close ends the stream and the connection.
func (c *client) close() {
	c.once.Do(func() {
		c.s.Close()
		select {
		case <-c.done:
		case <-time.After(wait):
			c.t.Errorf("%s: stream not closed after %v", c.jid, wait)
		}
		c.conn.Close()
	})
}

// serialise writes an element as compact XML, double-quoted attributes
// in document order, without namespace prefixes.
func serialise(r xml.TokenReader) (string, error) {
	var b bytes.Buffer
	depth := 0
	for {
		tok, err := r.Token()
		if errors.Is(err, io.EOF) {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			b.WriteString("<" + tok.Name.Local)
			for _, a := range tok.Attr {
				b.WriteString(" " + a.Name.Local + `="` + html.EscapeString(a.Value) + `"`)
			}
			b.WriteString(">")
		case xml.EndElement:
			depth--
			b.WriteString("</" + tok.Name.Local + ">")
			if depth == 0 {
				return b.String(), nil
			}
		case xml.CharData:
			b.WriteString(html.EscapeString(string(tok)))
		}
	}
}

// send writes raw XML (one stanza) to the stream.
func (c *client) send(x string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.s.Send(ctx, rawTokens{xml.NewDecoder(strings.NewReader(x))}); err != nil {
		c.t.Fatalf("%s: send %s: %v", c.jid, x, err)
	}
}

// rawTokens reads tokens without resolving namespaces, so xmlns attributes
// are written back as they were.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }

// expect waits for the next stanzas, one per pattern, each containing
// every "|"-separated part of its pattern.
func (c *client) expect(patterns ...string) []string {
	c.t.Helper()
	var out []string
	for _, p := range patterns {
		var got string
		select {
		case got = <-c.in:
		case <-time.After(wait):
			c.t.Fatalf("%s: nothing received, want %q (after %q)", c.jid, p, out)
		}
		for _, part := range strings.Split(p, "|") {
			if !strings.Contains(got, part) {
				c.t.Fatalf("%s received\n%s\nwant it to contain %q", c.jid, got, part)
			}
		}
		out = append(out, got)
	}
	return out
}

// quiet checks that nothing else is queued: a ping round trip must be
// the next thing received.
func (c *client) quiet() {
	c.t.Helper()
	c.send(`<iq type='get' id='quiet' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	c.expect(`id="quiet"|type="result"`)
}

// online logs in, fetches the roster and sends initial presence; the
// presence echo is consumed.
func (s *srv) online(local, resource string) *client {
	s.t.Helper()
	c := s.login(local, resource)
	c.send(`<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>`)
	c.expect(`id="roster"|type="result"|<query`)
	c.send(`<presence/>`)
	c.expect(`<presence|from="` + c.jid.String() + `"|to="` + c.jid.String() + `"`)
	return c
}

// admin sends one request over the admin socket, as the command line
// tool does after changing storage.
func (s *srv) admin(req admin.Request) admin.Response {
	s.t.Helper()
	c, err := net.Dial("unix", filepath.Join(s.app.Config().DataDir, admin.SocketName))
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait))
	line, _ := json.Marshal(req)
	if _, err := c.Write(append(line, '\n')); err != nil {
		s.t.Fatal(err)
	}
	var resp admin.Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		s.t.Fatal(err)
	}
	if !resp.OK {
		s.t.Fatalf("admin %+v: %+v", req, resp)
	}
	return resp
}
