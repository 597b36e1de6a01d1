package server

import (
	"crypto/tls"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/server/stream"
)

func plainAuth(user, pass string) string {
	return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)) + "</auth>"
}

func TestFeatureNegotiation(t *testing.T) {
	for _, tc := range []struct {
		name        string
		requireTLS  bool
		info        TransportInfo
		want, avoid []string
	}{
		{"require tls before tls", true, TransportInfo{CanStartTLS: true},
			[]string{"<starttls", "<required/>"}, []string{"mechanisms", "<bind"}},
		{"optional tls", false, TransportInfo{CanStartTLS: true},
			[]string{"<starttls", "SCRAM-SHA-256", "PLAIN"}, []string{"<required", "<bind"}},
		// BOSH over plain HTTP: SCRAM only, never PLAIN, never STARTTLS.
		{"require tls, transport cannot start it", true, TransportInfo{},
			[]string{"SCRAM-SHA-256", "SCRAM-SHA-1"}, []string{"<starttls", "PLAIN"}},
		{"secure", true, TransportInfo{Secure: true},
			[]string{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}, []string{"<starttls", "-PLUS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, Options{RequireTLS: tc.requireTLS}, nil)
			rec := &tlsRecorder{}
			rec.s = c.NewSession(rec, tc.info)
			cl := &client{t: t, rec: &rec.recorder, s: rec.s}
			cl.open()
			out := strings.Join(cl.drain(), "")
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("features %s lack %s", out, w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("features %s offer %s", out, a)
				}
			}
		})
	}
}

// tlsRecorder is a recorder whose transport can start TLS.
type tlsRecorder struct{ recorder }

func (r *tlsRecorder) StartTLS() (*tls.ConnectionState, error) {
	return &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true}, nil
}

func TestStartTLS(t *testing.T) {
	c := newCore(t, Options{RequireTLS: true}, map[string]string{"alice": "secret"})
	rec := &tlsRecorder{}
	rec.s = c.NewSession(rec, TransportInfo{CanStartTLS: true, RemoteAddr: "127.0.0.1:1"})
	cl := &client{t: t, rec: &rec.recorder, s: rec.s}
	cl.open()
	cl.drain()
	if st := cl.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); st != StepStartTLS {
		t.Fatalf("step %v", st)
	}
	cl.expect("<proceed")
	cl.open()
	f := cl.expect("PLAIN")
	if strings.Contains(f, "starttls") {
		t.Fatalf("STARTTLS offered twice: %s", f)
	}
	if st := cl.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); st != StepClose {
		t.Fatalf("second STARTTLS: step %v", st)
	}
}

func TestBindAndSessionFeatures(t *testing.T) {
	c := newCore(t, Options{}, map[string]string{"alice": "secret"})
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	cl.send(plainAuth("Alice", "secret"))
	cl.expect("<success")
	if got := cl.s.JID().String(); got != "alice@localhost" {
		t.Fatalf("JID after auth = %s", got)
	}
	cl.open()
	f := cl.expect("<bind", "<session", "<optional/>")
	if strings.Contains(f, "mechanisms") {
		t.Fatalf("mechanisms offered after auth: %s", f)
	}
	cl.send("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
	cl.expect("<jid>alice@localhost/")
	cl.send("<iq type='set' id='s'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>")
	cl.expect(`type="result"`, `id="s"`)
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct{ attrs, cond string }{
		{"to='example.org' version='1.0'", "host-unknown"},
		{"version='1.0'", "host-unknown"},
		{"to='localhost'", "unsupported-version"},
		{"to='localhost' version='0.9'", "unsupported-version"},
	} {
		c := newCore(t, Options{}, nil)
		cl := newClient(t, c, TransportInfo{})
		if st := cl.s.Open(header(t, tc.attrs)); st != StepClose {
			t.Errorf("%s: step %v", tc.attrs, st)
		}
		closed, err := cl.rec.state()
		if !closed || err == nil || string(err.Condition) != tc.cond {
			t.Errorf("%s: closed %v with %v, want %s", tc.attrs, closed, err, tc.cond)
		}
		if len(cl.rec.headers) != 1 {
			t.Errorf("%s: response header not sent before the error", tc.attrs)
		}
	}
}

func TestSASLFailures(t *testing.T) {
	c := newCore(t, Options{MaxConnFailures: 10}, map[string]string{"alice": "secret"})
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	for _, tc := range []struct{ send, cond string }{
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NOPE'/>", "invalid-mechanism"},
		{"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>", "incorrect-encoding"},
		{"<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AAAA</response>", "malformed-request"},
		{"<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "aborted"},
		{plainAuth("alice", "wrong"), "not-authorized"},
		{plainAuth("nobody", "secret"), "not-authorized"},
	} {
		if st := cl.send(tc.send); st != StepContinue {
			t.Fatalf("%s: step %v", tc.send, st)
		}
		cl.expect("<failure", "<"+tc.cond+"/>")
	}
}

func TestSASLNeedsTLS(t *testing.T) {
	c := newCore(t, Options{RequireTLS: true}, map[string]string{"alice": "secret"})
	cl := newClient(t, c, TransportInfo{CanStartTLS: true})
	cl.open()
	cl.drain()
	cl.send(plainAuth("alice", "secret"))
	cl.expect("<encryption-required/>")

	// A transport that cannot start TLS (BOSH over plain HTTP) keeps
	// SCRAM but refuses PLAIN as too weak (RFC 6120 §6.5.9).
	cl = newClient(t, c, TransportInfo{})
	cl.open()
	cl.drain()
	cl.send(plainAuth("alice", "secret"))
	cl.expect("<mechanism-too-weak/>")

	c = newCore(t, Options{RequireTLS: false}, map[string]string{"alice": "secret"})
	cl = newClient(t, c, TransportInfo{})
	cl.open()
	cl.drain()
	if st := cl.send(plainAuth("alice", "secret")); st != StepRestart {
		t.Fatalf("PLAIN without TLS and require_tls=false: %v %q", st, cl.drain())
	}
}

func TestAuthThrottle(t *testing.T) {
	c := newCore(t, Options{MaxConnFailures: 2, MaxIPFailures: 3}, map[string]string{"alice": "secret"})
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	cl.send(plainAuth("alice", "bad"))
	cl.expect("<not-authorized/>")
	if st := cl.send(plainAuth("alice", "bad")); st != StepClose {
		t.Fatalf("second failure: step %v", st)
	}
	if _, err := cl.rec.state(); err == nil || err.Condition != stream.PolicyViolation {
		t.Fatalf("closed with %v, want policy-violation", err)
	}
	// Same IP, new connection: one more failure reaches the IP limit.
	cl = newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	cl.send(plainAuth("alice", "bad"))
	cl.expect("<not-authorized/>")
	cl.send(plainAuth("alice", "secret"))
	cl.expect("<temporary-auth-failure/>")
	// Another IP is not affected.
	cl = newClient(t, c, TransportInfo{Secure: true, RemoteAddr: "192.0.2.1:1"})
	cl.open()
	cl.drain()
	if st := cl.send(plainAuth("alice", "secret")); st != StepRestart {
		t.Fatalf("other IP: step %v", st)
	}
}

func TestStanzaBeforeAuth(t *testing.T) {
	c := newCore(t, Options{}, nil)
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	if st := cl.send("<message to='bob@localhost'><body>x</body></message>"); st != StepClose {
		t.Fatalf("step %v", st)
	}
	if _, err := cl.rec.state(); err == nil || err.Condition != stream.NotAuthorized {
		t.Fatalf("closed with %v, want not-authorized", err)
	}
}

func TestConflictReplace(t *testing.T) {
	c := newCore(t, Options{}, map[string]string{"alice": "secret"})
	old := login(t, c, "alice", "secret", "home")
	login(t, c, "alice", "secret", "home")
	closed, err := old.rec.state()
	if !closed || err == nil || err.Condition != stream.Conflict {
		t.Fatalf("old session closed=%v with %v, want conflict", closed, err)
	}
	if n := len(c.Registry().Sessions(old.s.JID().Bare())); n != 1 {
		t.Fatalf("%d sessions registered, want 1", n)
	}
}

func TestConflictReject(t *testing.T) {
	c := newCore(t, Options{ConflictPolicy: ConflictReject}, map[string]string{"alice": "secret"})
	old := login(t, c, "alice", "secret", "home")
	cl := newClient(t, c, TransportInfo{Secure: true})
	cl.open()
	cl.drain()
	cl.send(plainAuth("alice", "secret"))
	cl.drain()
	cl.open()
	cl.drain()
	cl.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>home</resource></bind></iq>")
	cl.expect(`type="error"`, "<conflict ")
	if closed, _ := old.rec.state(); closed {
		t.Fatal("old session closed under the reject policy")
	}
	cl.send("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
	cl.expect(`type="result"`)
}
