package sasl

import (
	"errors"
	"slices"
)

// Mechanism names (RFC 4616, RFC 5802, RFC 7677).
const (
	PLAIN             = "PLAIN"
	SCRAMSHA1         = "SCRAM-SHA-1"
	SCRAMSHA1Plus     = "SCRAM-SHA-1-PLUS"
	SCRAMSHA256       = "SCRAM-SHA-256"
	SCRAMSHA256Plus   = "SCRAM-SHA-256-PLUS"
	TLSExporter       = "tls-exporter"         // RFC 9266
	TLSServerEndPoint = "tls-server-end-point" // RFC 5929 §4
)

// ErrUnknownUser is returned by a Lookup for a username with no account.
var ErrUnknownUser = errors.New("sasl: unknown user")

// Lookup returns the stored credentials of username (the authcid as sent;
// the caller normalises it). ErrUnknownUser for no such user: mechanisms
// then run with decoy credentials so that timing does not reveal which users
// exist. Any other error fails the exchange with temporary-auth-failure.
type Lookup func(username string) (creds []Credentials, disabled bool, err error)

// ChannelBinding is one channel binding the connection supports: its type
// (TLSExporter or TLSServerEndPoint) and the data the server computed for it.
type ChannelBinding struct {
	Type string
	Data []byte
}

// Config configures one SASL exchange.
type Config struct {
	Lookup   Lookup
	Bindings []ChannelBinding // those this connection supports; empty when not TLS

	// Iterations is the SCRAM iteration count shown for unknown users; it
	// should be the count new credentials are created with, so that decoys
	// look like real accounts. 0 means DefaultIterations.
	Iterations int

	// nonce returns the server part of the SCRAM nonce; nil means 24 random
	// bytes in base64 (tests fix it to replay RFC examples).
	nonce func() (string, error)
}

// Mechanism is the server side of one SASL exchange.
type Mechanism interface {
	// Name is the mechanism's name as offered.
	Name() string
	// Step consumes one decoded client message: the initial response first
	// (nil when <auth/> carried none, RFC 6120 §6.4.2), then each
	// <response/>. It returns the next challenge, or, with done, the
	// additional data of <success/> (nil for none). err is a *Failure; after
	// done or an error the exchange is over.
	Step(in []byte) (out []byte, done bool, err error)
	// Identity returns the authentication identity and the requested
	// authorization identity ("" for none); valid once done.
	Identity() (authcid, authzid string)
}

// Names lists the mechanisms to offer, strongest first: SCRAM-SHA-256-PLUS,
// SCRAM-SHA-1-PLUS (when bindings is not empty), SCRAM-SHA-256, SCRAM-SHA-1,
// then PLAIN when plainAllowed.
func Names(bindings []ChannelBinding, plainAllowed bool) []string {
	var n []string
	if len(bindings) > 0 {
		n = append(n, SCRAMSHA256Plus, SCRAMSHA1Plus)
	}
	n = append(n, SCRAMSHA256, SCRAMSHA1)
	if plainAllowed {
		n = append(n, PLAIN)
	}
	return n
}

// New starts an exchange of the mechanism name. Unknown names, and -PLUS
// variants when c.Bindings is empty (they are not offered then), yield
// *Failure{InvalidMechanism} (RFC 6120 §6.5.7). Whether PLAIN may be used on
// this connection is the caller's decision.
func New(name string, c Config) (Mechanism, error) {
	if c.Lookup == nil {
		return nil, errors.New("sasl: Config.Lookup is nil")
	}
	switch name {
	case PLAIN:
		return &plain{cfg: c}, nil
	case SCRAMSHA1, SCRAMSHA256:
		return newSCRAM(name, name[len("SCRAM-"):], false, c), nil
	case SCRAMSHA1Plus, SCRAMSHA256Plus:
		if len(c.Bindings) == 0 {
			return nil, fail(InvalidMechanism, "channel binding is not available")
		}
		return newSCRAM(name, name[len("SCRAM-"):len(name)-len("-PLUS")], true, c), nil
	}
	return nil, fail(InvalidMechanism, "")
}

// binding returns the data of the channel binding typ, if supported.
func (c *Config) binding(typ string) ([]byte, bool) {
	i := slices.IndexFunc(c.Bindings, func(b ChannelBinding) bool { return b.Type == typ })
	if i < 0 {
		return nil, false
	}
	return c.Bindings[i].Data, true
}

// lookup runs c.Lookup for username and returns the credentials to verify
// against, for the first of hashes the user has: decoys for hashes[0] when
// the user is unknown or has none of them. Lookup failures other than
// ErrUnknownUser are temporary-auth-failure (RFC 6120 §6.5.11).
func (c *Config) lookup(username string, hashes ...string) (cred Credentials, disabled bool, err error) {
	creds, disabled, err := c.Lookup(username)
	if err != nil && !errors.Is(err, ErrUnknownUser) {
		return Credentials{}, false, fail(TemporaryAuthFailure, "")
	}
	if err == nil {
		for _, h := range hashes {
			if cred, ok := pick(creds, h); ok {
				return cred, disabled, nil
			}
		}
	}
	return decoy(hashes[0], username, c.Iterations), false, nil
}
