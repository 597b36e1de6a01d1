package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"hash"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
)

// mechanisms lists what this session may use (strongest first). PLAIN
// needs TLS unless require_tls is off.
func (s *Session) mechanisms() []string {
	secure := s.State()&Secure != 0
	return sasl.Names(s.bindings(), secure || !s.core.opts.RequireTLS)
}

// bindings returns the channel bindings of the session's TLS layer:
// tls-exporter with TLS 1.3 (RFC 9266), tls-server-end-point when the
// server certificate is known (RFC 5929 §4).
func (s *Session) bindings() []sasl.ChannelBinding {
	cs := s.info.TLS
	if cs == nil {
		return nil
	}
	var b []sasl.ChannelBinding
	if cs.Version >= 0x0304 {
		if data, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32); err == nil {
			b = append(b, sasl.ChannelBinding{Type: sasl.TLSExporter, Data: data})
		}
	}
	if data := s.core.endPointHash(s.info.ServerCert); data != nil {
		b = append(b, sasl.ChannelBinding{Type: sasl.TLSServerEndPoint, Data: data})
	}
	return b
}

// endPoint is a tls-server-end-point hash with the certificate it is of.
type endPoint struct{ der, hash []byte }

// endPointHash returns endPointHash(der), computed once for the
// certificate every session presents rather than parsed again for each
// offer of mechanisms and each authentication.
func (c *Core) endPointHash(der []byte) []byte {
	if der == nil {
		return nil
	}
	if e := c.endPoint.Load(); e != nil && bytes.Equal(e.der, der) {
		return e.hash
	}
	h := endPointHash(der)
	c.endPoint.Store(&endPoint{der: der, hash: h})
	return h
}

// endPointHash is the tls-server-end-point hash of a DER certificate:
// its signature hash, with MD5 and SHA-1 upgraded to SHA-256.
func endPointHash(der []byte) []byte {
	if der == nil {
		return nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = sha512.New()
	case x509.PureEd25519:
		return nil // RFC 5929 defines no hash for it
	default:
		h = sha256.New()
	}
	h.Write(der)
	return h.Sum(nil)
}

// receiveSASL handles <auth/>, <response/> and <abort/> (RFC 6120 §6.4).
func (s *Session) receiveSASL(el *etree.Element) Step {
	if s.State()&Authenticated != 0 {
		s.Close(stream.NewError(stream.PolicyViolation, "already authenticated"))
		return StepClose
	}
	switch el.Tag {
	case "auth":
		return s.auth(el)
	case "response":
		if s.mech == nil {
			return s.saslFail(&sasl.Failure{Condition: sasl.MalformedRequest, Text: "no exchange in progress"}, false)
		}
		return s.saslData(el.Text())
	case "abort":
		s.mech = nil
		return s.saslFail(&sasl.Failure{Condition: sasl.Aborted}, false) // §6.4.4
	}
	return s.saslFail(&sasl.Failure{Condition: sasl.MalformedRequest}, false)
}

// auth starts an exchange (RFC 6120 §6.4.2).
func (s *Session) auth(el *etree.Element) Step {
	s.mech = nil
	if s.mustTLS() {
		return s.saslFail(&sasl.Failure{Condition: sasl.EncryptionRequired}, false) // §6.5.4
	}
	name := el.SelectAttrValue("mechanism", "")
	if !slices.Contains(s.mechanisms(), name) {
		if name == sasl.PLAIN {
			return s.saslFail(&sasl.Failure{Condition: sasl.MechanismTooWeak}, false) // §6.5.9
		}
		return s.saslFail(&sasl.Failure{Condition: sasl.InvalidMechanism}, false) // §6.5.7
	}
	if s.core.throttle.blocked(s.ip()) {
		return s.saslFail(&sasl.Failure{Condition: sasl.TemporaryAuthFailure, Text: "too many failed attempts"}, false)
	}
	m, err := sasl.New(name, sasl.Config{
		Lookup:     s.lookup,
		Bindings:   s.bindings(),
		Iterations: s.core.opts.SCRAMIterations,
	})
	if err != nil {
		return s.saslFail(asFailure(err), false)
	}
	s.mech = m
	return s.saslData(el.Text())
}

// saslData feeds base64 data to the running mechanism.
func (s *Session) saslData(text string) Step {
	data, err := sasl.DecodeBase64(text)
	if err != nil {
		s.mech = nil
		return s.saslFail(asFailure(err), false) // §6.5.5 incorrect-encoding
	}
	out, done, err := s.mech.Step(data)
	if err != nil {
		s.mech = nil
		f := asFailure(err)
		counts := f.Condition == sasl.NotAuthorized || f.Condition == sasl.AccountDisabled || f.Condition == sasl.InvalidAuthzid
		return s.saslFail(f, counts)
	}
	if !done {
		s.send(sasl.Challenge(out))
		return StepContinue
	}
	return s.saslSuccess(out)
}

// saslSuccess ends a successful exchange (RFC 6120 §6.4.6).
func (s *Session) saslSuccess(additional []byte) Step {
	authcid, authzid := s.mech.Identity()
	s.mech = nil // the exchange's state goes now
	local, err := jid.NormalizeLocalpart(authcid)
	if err != nil {
		return s.saslFail(&sasl.Failure{Condition: sasl.NotAuthorized}, true)
	}
	// The authcid is a substring of the client's whole SASL message: keep
	// a copy of the localpart only.
	local = strings.Clone(local)
	s.core.creds.forget(s.domain, local)
	user, err := jid.New(local, s.domain, "")
	if err != nil {
		return s.saslFail(&sasl.Failure{Condition: sasl.NotAuthorized}, true)
	}
	if authzid != "" {
		if az, err := jid.Parse(authzid); err != nil || az != user {
			return s.saslFail(&sasl.Failure{Condition: sasl.InvalidAuthzid}, true) // §6.5.6
		}
	}
	s.setJID(user)
	s.setState(Authenticated)
	s.logInfo().Msg("authenticated")
	s.send(sasl.Success(additional))
	s.opened = false
	return StepRestart
}

// saslFail sends <failure/>; counted failures are throttled per
// connection (closing with <policy-violation/>, RFC 6120 §6.4.5) and per
// IP address.
//
// The failure is counted before <failure/> is queued, so that a client
// retrying on a new connection as soon as it reads it is already refused.
func (s *Session) saslFail(f *sasl.Failure, counted bool) Step {
	if !counted {
		s.send(f.Element())
		return StepContinue
	}
	s.logInfo().Str("condition", string(f.Condition)).Msg("authentication failed")
	s.core.throttle.fail(s.ip())
	s.failures++ // MaxConnFailures is at most 255
	s.send(f.Element())
	if int(s.failures) >= s.core.opts.MaxConnFailures {
		s.Close(stream.NewError(stream.PolicyViolation, "too many failed authentication attempts"))
		return StepClose
	}
	return StepContinue
}

func asFailure(err error) *sasl.Failure {
	var f *sasl.Failure
	if errors.As(err, &f) {
		return f
	}
	return &sasl.Failure{Condition: sasl.TemporaryAuthFailure}
}

// ip returns the host part of the remote address.
func (s *Session) ip() string {
	host, _, err := net.SplitHostPort(s.info.RemoteAddr)
	if err != nil {
		return s.info.RemoteAddr
	}
	return host
}

// lookup is the sasl.Lookup of this session's domain.
func (s *Session) lookup(username string) ([]sasl.Credentials, bool, error) {
	local, err := jid.NormalizeLocalpart(username)
	if err != nil {
		return nil, false, sasl.ErrUnknownUser
	}
	return s.core.credentials(s.domain, local)
}

// credentials loads (or takes from the cache) the SCRAM credentials and
// disabled flag of an account: one storage round trip at most.
func (c *Core) credentials(domain, local string) ([]sasl.Credentials, bool, error) {
	if e, ok := c.creds.get(domain, local); ok {
		return e.creds, e.disabled, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acct, stored, err := c.store.AccountCredentials(ctx, domain, local)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, sasl.ErrUnknownUser
	} else if err != nil {
		return nil, false, err
	}
	creds := make([]sasl.Credentials, 0, len(stored))
	for _, sc := range stored {
		creds = append(creds, sasl.Credentials{
			Hash: sc.Hash, Salt: sc.Salt, Iterations: sc.Iterations,
			StoredKey: sc.StoredKey, ServerKey: sc.ServerKey,
		})
	}
	c.creds.put(domain, local, credEntry{creds: creds, disabled: acct.Disabled})
	return creds, acct.Disabled, nil
}

// credCache keeps recently looked up credentials for a short time, so
// that repeated attempts on an account that does not authenticate (a
// client retrying a wrong password, a guessing run) cost one storage
// round trip. A successful authentication forgets its entry: a logged-in
// session does not need it, and an entry per logged-in user would be
// memory per idle session. Kick forgets a user's entry too.
type credCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[[2]string]credEntry
}

type credEntry struct {
	creds    []sasl.Credentials
	disabled bool
	at       time.Time
}

func newCredCache(ttl time.Duration) *credCache {
	return &credCache{ttl: ttl, m: map[[2]string]credEntry{}}
}

func (c *credCache) get(domain, local string) (credEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[[2]string{domain, local}]
	if !ok || time.Since(e.at) > c.ttl {
		return credEntry{}, false
	}
	return e, true
}

func (c *credCache) put(domain, local string, e credEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		clear(c.m)
	}
	e.at = time.Now()
	c.m[[2]string{domain, local}] = e
}

func (c *credCache) forget(domain, local string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, [2]string{domain, local})
}

// throttle counts failed authentications per IP address within a window.
type throttle struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	m      map[string]*ipFailures
}

type ipFailures struct {
	n     int
	start time.Time
}

func newThrottle(max int, window time.Duration) *throttle {
	return &throttle{max: max, window: window, m: map[string]*ipFailures{}}
}

func (t *throttle) fail(ip string) {
	if t.max <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	e := t.m[ip]
	if e == nil || now.Sub(e.start) > t.window {
		if len(t.m) > 100000 {
			t.prune(now)
		}
		e = &ipFailures{start: now}
		t.m[ip] = e
	}
	e.n++
}

func (t *throttle) blocked(ip string) bool {
	if t.max <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[ip]
	return e != nil && time.Since(e.start) <= t.window && e.n >= t.max
}

// prune drops expired entries. Precondition: t.mu held.
func (t *throttle) prune(now time.Time) {
	for ip, e := range t.m {
		if now.Sub(e.start) > t.window {
			delete(t.m, ip)
		}
	}
}
