package sasl

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"strconv"
)

// serverNonceSize is the number of random bytes the server adds to the
// client's nonce.
const serverNonceSize = 24

type scramState uint8

const (
	awaitFirst scramState = iota // expecting client-first-message
	awaitFinal                   // server-first sent, expecting client-final-message
	over                         // succeeded or failed
)

// scram is the server side of SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS
// variants (RFC 5802, RFC 7677).
type scram struct {
	name  string
	hash  string
	h     func() hash.Hash
	plus  bool
	cfg   Config
	state scramState

	started     bool
	first       *clientFirst
	serverFirst string
	nonce       string // c-nonce + s-nonce
	cred        Credentials
	disabled    bool
	authcid     string
	authzid     string
}

func newSCRAM(name, hash string, plus bool, c Config) *scram {
	return &scram{name: name, hash: hash, h: hashFunc(hash), plus: plus, cfg: c}
}

func (s *scram) Name() string { return s.name }

func (s *scram) Identity() (authcid, authzid string) { return s.authcid, s.authzid }

// Step implements Mechanism: client-first → server-first, client-final →
// server-final (RFC 5802 §5). Without an initial response the server sends
// an empty challenge first (RFC 6120 §6.4.2).
func (s *scram) Step(in []byte) ([]byte, bool, error) {
	switch s.state {
	case awaitFirst:
		if in == nil && !s.started {
			s.started = true
			return []byte{}, false, nil
		}
		out, err := s.stepFirst(string(in))
		if err != nil {
			s.state = over
			return nil, false, err
		}
		s.state = awaitFinal
		return out, false, nil
	case awaitFinal:
		s.state = over
		out, err := s.stepFinal(string(in))
		if err != nil {
			return nil, false, err
		}
		return out, true, nil
	}
	return nil, false, fail(MalformedRequest, "exchange is over")
}

// stepFirst checks the client-first-message and answers server-first-message
// = nonce "," salt "," iteration-count (RFC 5802 §7).
func (s *scram) stepFirst(msg string) ([]byte, error) {
	cf, err := parseClientFirst(msg)
	if err != nil {
		return nil, err
	}
	if err := s.checkFlag(cf); err != nil {
		return nil, err
	}
	s.first = cf
	s.cred, s.disabled, err = s.cfg.lookup(cf.username, s.hash)
	if err != nil {
		return nil, err
	}
	sn, err := s.serverNonce()
	if err != nil {
		return nil, fail(TemporaryAuthFailure, "")
	}
	s.nonce = cf.nonce + sn
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.cred.Salt) +
		",i=" + strconv.Itoa(s.cred.Iterations)
	return []byte(s.serverFirst), nil
}

// checkFlag checks the gs2-cbind-flag against the mechanism and the
// connection (RFC 5802 §6).
func (s *scram) checkFlag(cf *clientFirst) error {
	switch {
	case s.plus && cf.flag != 'p':
		return fail(MalformedRequest, "-PLUS requires channel binding")
	case !s.plus && cf.flag == 'p':
		return fail(MalformedRequest, "channel binding requires a -PLUS mechanism")
	case cf.flag == 'p':
		if _, ok := s.cfg.binding(cf.cbType); !ok {
			return fail(NotAuthorized, "unsupported channel binding type")
		}
	case cf.flag == 'y' && len(s.cfg.Bindings) > 0:
		// The client supports binding and thinks the server does not: the
		// offer of -PLUS was stripped, a downgrade attack (RFC 5802 §6).
		return fail(NotAuthorized, "channel binding downgrade")
	}
	return nil
}

func (s *scram) serverNonce() (string, error) {
	if s.cfg.nonce != nil {
		return s.cfg.nonce()
	}
	b := make([]byte, serverNonceSize)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// stepFinal verifies the client-final-message (channel binding, nonce,
// proof) and answers server-final-message = "v=" base64(ServerSignature)
// (RFC 5802 §3, §7).
func (s *scram) stepFinal(msg string) ([]byte, error) {
	cl, err := parseClientFinal(msg)
	if err != nil {
		return nil, err
	}
	cb, err1 := base64.StdEncoding.Strict().DecodeString(cl.cbind)
	proof, err2 := base64.StdEncoding.Strict().DecodeString(cl.proof)
	if err1 != nil || err2 != nil || len(proof) != s.h().Size() {
		return nil, fail(MalformedRequest, "invalid base64 in c= or p=")
	}
	if !hmac.Equal(cb, s.cbindInput()) {
		return nil, fail(NotAuthorized, "channel binding mismatch")
	}
	if cl.nonce != s.nonce {
		return nil, fail(NotAuthorized, "nonce mismatch")
	}
	authMessage := s.first.bare + "," + s.serverFirst + "," + cl.withoutProof
	// ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof
	// holds when H(ClientKey) = StoredKey.
	clientKey := hmacSum(s.h, s.cred.StoredKey, authMessage)
	subtle.XORBytes(clientKey, clientKey, proof)
	if subtle.ConstantTimeCompare(hashSum(s.h, clientKey), s.cred.StoredKey) != 1 {
		return nil, fail(NotAuthorized, "")
	}
	if s.disabled {
		return nil, fail(AccountDisabled, "")
	}
	s.authcid, s.authzid = s.first.username, s.first.authzid
	v := hmacSum(s.h, s.cred.ServerKey, authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(v)), nil
}

// cbindInput is gs2-header followed by the channel binding data when the
// client asked for binding (RFC 5802 §7, cbind-input).
func (s *scram) cbindInput() []byte {
	in := []byte(s.first.gs2Header)
	if s.first.flag == 'p' {
		data, _ := s.cfg.binding(s.first.cbType)
		in = append(in, data...)
	}
	return in
}
