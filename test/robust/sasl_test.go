package robust

import (
	"testing"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
	psasl "github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
)

// TestSASLFailures checks the RFC 6120 §6.5 failure conditions of bad
// authentication input; none of them ends the stream.
func TestSASLFailures(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.Auth.MaxFailures = 0 }))
	s.AddUser(t, "alice", "secret")
	cl := s.open()
	cl.auth("PLAIN", "!!!not base64!!!")
	cl.saslFailure(psasl.IncorrectEncoding)
	cl.auth("X-UNKNOWN", "")
	cl.saslFailure(psasl.InvalidMechanism)
	cl.auth("", "")
	cl.saslFailure(psasl.InvalidMechanism)
	cl.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AAAA</response>`)
	cl.saslFailure(psasl.MalformedRequest)
	cl.auth("SCRAM-SHA-256", "")
	cl.expect("challenge") // empty initial response: the server asks for it
	cl.send(`<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)
	cl.saslFailure(psasl.Aborted)
	cl.auth("SCRAM-SHA-256", "Z2FyYmFnZQ==") // "garbage"
	cl.saslFailure(psasl.MalformedRequest)
	cl.auth("PLAIN", "AGFsaWNl") // "\0alice": no password
	cl.saslFailure(psasl.MalformedRequest)
	cl.send(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`)
	cl.saslFailure(psasl.MalformedRequest)
	// Still negotiating: the right password works.
	cl.auth("PLAIN", plain("alice", "secret"))
	cl.expect("success")
}

// TestThrottlePerConnection checks that repeated wrong passwords on one
// stream end it with <policy-violation/> (RFC 6120 §6.4.5), unknown users
// and wrong passwords alike.
func TestThrottlePerConnection(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.Auth.MaxFailures = 0 }))
	s.AddUser(t, "alice", "secret")
	cl := s.open()
	cl.auth("PLAIN", plain("alice", "wrong"))
	cl.saslFailure(psasl.NotAuthorized)
	cl.auth("PLAIN", plain("nobody", "wrong"))
	cl.saslFailure(psasl.NotAuthorized)
	cl.auth("PLAIN", plain("alice", "wrong"))
	cl.saslFailure(psasl.NotAuthorized)
	cl.streamError(stream.PolicyViolation)
	s.login("alice", "secret").ping("after")
}

// TestThrottlePerAddress checks that auth.max_failures failed attempts
// from one address make the next attempt fail with
// <temporary-auth-failure/>, even with the right password, on a new
// connection.
func TestThrottlePerAddress(t *testing.T) {
	s := start(t, testserver.Configure(func(c *config.Config) { c.Auth.MaxFailures = 2 }))
	s.AddUser(t, "alice", "secret")
	for range 2 {
		cl := s.open()
		cl.auth("PLAIN", plain("alice", "wrong"))
		cl.saslFailure(psasl.NotAuthorized)
	}
	cl := s.open()
	cl.auth("PLAIN", plain("alice", "secret"))
	cl.saslFailure(psasl.TemporaryAuthFailure)
	cl.auth("SCRAM-SHA-256", "")
	cl.saslFailure(psasl.TemporaryAuthFailure)
}
