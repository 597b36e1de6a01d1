package im

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// client is one logged-in XMPP session over TCP or BOSH; every stanza it
// receives is serialised into in, in order.
type client struct {
	t     *testing.T
	jid   jid.JID
	in    chan string
	write func(x string) error // sends one stanza
	stop  func() error         // ends the stream
	once  sync.Once
}

func newClient(t *testing.T) *client {
	return &client{t: t, in: make(chan string, 256)}
}

// login logs local in over the transport chosen for it (TCP unless the
// server says otherwise) and binds resource (TCP clients get a
// server-generated one).
func (s *srv) login(local, resource string) *client {
	s.t.Helper()
	var c *client
	via := s.via[local]
	if via == "" {
		via = s.via["*"]
	}
	if via == "bosh" {
		c = s.loginBOSH(local, resource)
	} else {
		c = s.loginTCP(local, resource)
	}
	s.t.Cleanup(c.close)
	return c
}

// close ends the stream (the client goes away).
func (c *client) close() {
	c.once.Do(func() {
		if err := c.stop(); err != nil {
			c.t.Errorf("%s: close: %v", c.jid, err)
		}
	})
}

// logout closes c's stream and waits until the server has ended the
// session and run its end hooks.
func (s *srv) logout(c *client) {
	s.t.Helper()
	ended := make(chan struct{})
	s.mu.Lock()
	s.ending[c.jid.String()] = ended
	s.mu.Unlock()
	c.close()
	select {
	case <-ended:
	case <-time.After(wait):
		s.t.Fatalf("%s: session did not end", c.jid)
	}
}

// send writes raw XML (one stanza) to the stream.
func (c *client) send(x string) {
	c.t.Helper()
	if err := c.write(x); err != nil {
		c.t.Fatalf("%s: send %s: %v", c.jid, x, err)
	}
}

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
