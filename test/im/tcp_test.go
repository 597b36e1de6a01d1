package im

import (
	"context"
	"encoding/xml"
	"net"
	"strings"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"

	"github.com/parley-xmpp/parley/test/im/imtest"
)

// loginTCP connects over TCP with STARTTLS, authenticates with
// SCRAM-SHA-256 and binds a resource, with mellium.im/xmpp.
func (s *srv) loginTCP(local, resource string) *client {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, err := net.Dial("tcp", s.C2SAddr())
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
	c := newClient(s.t)
	c.jid = sess.LocalAddr()
	done := make(chan error, 1)
	go func() {
		done <- sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			x, err := serialise(xmlstream.MultiReader(xmlstream.Token(*start), r))
			if err != nil {
				return err
			}
			c.in <- x
			return nil
		}))
	}()
	c.write = func(x string) error {
		// No deadline: mellium (v0.22) resets the connection's write
		// deadline from a goroutine that can still fire after Send
		// returned when the context ends right after, failing the next
		// write with a timeout.
		return sess.Send(context.Background(), rawTokens{xml.NewDecoder(strings.NewReader(x))})
	}
	c.stop = func() error {
		defer conn.Close()
		sess.Close()
		select {
		case <-done:
			return nil
		case <-time.After(wait):
			return context.DeadlineExceeded
		}
	}
	return c
}

// rawTokens reads tokens without resolving namespaces, so xmlns attributes
// are written back as they were.
type rawTokens struct{ d *xml.Decoder }

func (r rawTokens) Token() (xml.Token, error) { return r.d.RawToken() }
