package testserver

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/pgtest"
	"github.com/parley-xmpp/parley/storage"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestStart checks the defaults: c2s and BOSH answer on loopback, users
// and contacts land in storage, the admin socket answers.
func TestStart(t *testing.T) {
	s := Start(t, Configure(func(c *config.Config) { c.BOSH.Path = "/bosh" }))
	if s.Config.Storage.Driver != "sqlite" || !strings.HasPrefix(s.C2SAddr(), "127.0.0.1:") {
		t.Fatalf("driver %q, c2s %q", s.Config.Storage.Driver, s.C2SAddr())
	}
	c, err := net.DialTimeout("tcp", s.C2SAddr(), IOTimeout)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(IOTimeout))
	io.WriteString(c, `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`)
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	c.Close()
	if err != nil || !strings.Contains(string(buf[:n]), "<stream:stream") && !strings.Contains(string(buf[:n]), "<?xml") {
		t.Fatalf("c2s answered %q, %v", buf[:n], err)
	}

	if got := s.BOSHURL(); !strings.HasPrefix(got, "http://127.0.0.1:") || !strings.HasSuffix(got, "/bosh") {
		t.Fatalf("BOSH URL %q", got)
	}
	body := `<body rid='1' to='localhost' wait='1' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>`
	resp, err := http.Post(s.BOSHURL(), "text/xml; charset=utf-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "sid=") {
		t.Fatalf("BOSH create: %s %s", resp.Status, page)
	}

	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	s.Befriend(t, "alice", "bob")
	it, err := s.Store().RosterItem(context.Background(), Domain, "bob", "alice@localhost")
	if err != nil || it.Subscription != storage.SubBoth {
		t.Fatalf("bob's roster item %+v, %v", it, err)
	}
	if r := s.Admin(t, admin.Request{Op: "kick", JID: "alice@localhost", Reason: "password"}); !r.OK || r.Sessions != 0 {
		t.Fatalf("admin reply %+v", r)
	}
}

// TestHTTPS checks that HTTPURL names the HTTPS listener when there is no
// plain one, and that TLSConfig trusts it.
func TestHTTPS(t *testing.T) {
	s := Start(t, Configure(func(c *config.Config) {
		c.HTTP.Listen, c.HTTP.TLSListen = []string{}, []string{"127.0.0.1:0"}
	}))
	if !strings.HasPrefix(s.HTTPURL(), "https://") {
		t.Fatalf("HTTP URL %q", s.HTTPURL())
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLSConfig(t)}, Timeout: IOTimeout}
	resp, err := hc.Get(s.HTTPURL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestPostgres runs the server on a fresh PostgreSQL database.
func TestPostgres(t *testing.T) {
	s := Start(t, Postgres())
	if s.Config.Storage.Driver != "postgres" || !strings.HasPrefix(s.Config.Storage.DSN, "postgres") {
		t.Fatalf("storage %+v", s.Config.Storage)
	}
	s.AddUser(t, "alice", "secret")
	if _, err := s.Store().Account(context.Background(), Domain, "alice"); err != nil {
		t.Fatal(err)
	}
}

// TestRequireBrowser checks the switches that turn a skip into a failure.
func TestRequireBrowser(t *testing.T) {
	for _, tc := range []struct {
		require, ci string
		want        bool
	}{{"", "", false}, {"1", "", true}, {"", "true", true}, {"0", "false", false}} {
		t.Setenv("PARLEY_REQUIRE_BROWSER", tc.require)
		t.Setenv("CI", tc.ci)
		if got := RequireBrowser(); got != tc.want {
			t.Errorf("PARLEY_REQUIRE_BROWSER=%q CI=%q: %v, want %v", tc.require, tc.ci, got, tc.want)
		}
	}
}
