package robust

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/ping"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
)

// TestDirectTLSMellium logs a third-party client in over direct TLS
// (XEP-0368) with channel binding (SCRAM-SHA-256-PLUS) and pings.
func TestDirectTLSMellium(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) {
		c.C2S.RequireTLS = true
		c.C2S.DirectTLSListen = []string{"127.0.0.1:0"}
	}))
	s.AddUser(t, "alice", "secret")
	tc := s.TLSConfig(t)
	tc.MinVersion = tls.VersionTLS13
	addrs := s.App.C2SAddrs()
	conn, err := tls.Dial("tcp", addrs[len(addrs)-1].String(), tc)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, err := xmpp.NewClientSession(ctx, jid.MustParse("alice@localhost"), conn,
		xmpp.SASL("", "secret", sasl.ScramSha256Plus),
		xmpp.BindResource(),
	)
	if err != nil {
		t.Fatalf("login over direct TLS: %v", err)
	}
	defer sess.Close()
	go sess.Serve(xmpp.HandlerFunc(func(xmlstream.TokenReadEncoder, *xml.StartElement) error { return nil }))
	if err := ping.Send(ctx, sess, jid.MustParse("localhost")); err != nil {
		t.Fatalf("ping: %v", err)
	}
}
