package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/text/secure/precis"
)

// Mechanism names the load tool can authenticate with.
const (
	mechPLAIN       = "PLAIN"
	mechSCRAMSHA1   = "SCRAM-SHA-1"
	mechSCRAMSHA256 = "SCRAM-SHA-256"
)

// saslClient is the client side of one SASL exchange (RFC 4422).
type saslClient interface {
	// Start returns the initial response.
	Start() ([]byte, error)
	// Next answers a challenge.
	Next(challenge []byte) ([]byte, error)
	// Verify checks the additional data of the server's success.
	Verify(success []byte) error
}

// newSASL returns a client for mech.
func newSASL(mech, user, password string) (saslClient, error) {
	switch mech {
	case mechPLAIN:
		return &plainClient{user: user, password: password}, nil
	case mechSCRAMSHA1:
		return newSCRAM(sha1.New, user, password, ""), nil
	case mechSCRAMSHA256:
		return newSCRAM(sha256.New, user, password, ""), nil
	}
	return nil, fmt.Errorf("unsupported SASL mechanism %q", mech)
}

// plainClient is RFC 4616 PLAIN with an empty authzid.
type plainClient struct{ user, password string }

func (p *plainClient) Start() ([]byte, error) {
	return []byte("\x00" + p.user + "\x00" + p.password), nil
}

func (p *plainClient) Next([]byte) ([]byte, error) {
	return nil, errors.New("PLAIN: unexpected challenge")
}

func (p *plainClient) Verify([]byte) error { return nil }

// scramClient is the client side of SCRAM without channel binding
// (RFC 5802 §3, §5; RFC 7677 for SHA-256). gs2 header "n,,".
type scramClient struct {
	h           func() hash.Hash
	user, pass  string
	cnonce      string
	clientFirst string // client-first-message-bare
	serverSig   []byte
}

// newSCRAM returns a SCRAM client; cnonce "" picks a random nonce.
func newSCRAM(h func() hash.Hash, user, password, cnonce string) *scramClient {
	if cnonce == "" {
		var b [18]byte
		rand.Read(b[:])
		cnonce = base64.RawStdEncoding.EncodeToString(b[:])
	}
	return &scramClient{h: h, user: user, pass: password, cnonce: cnonce}
}

// saslName escapes a username for SCRAM (RFC 5802 §5.1: '=' → "=3D", ',' → "=2C").
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

func (c *scramClient) Start() ([]byte, error) {
	c.clientFirst = "n=" + saslName(c.user) + ",r=" + c.cnonce
	return []byte("n,," + c.clientFirst), nil
}

// Next answers the server-first-message with the client-final-message
// (RFC 5802 §3).
func (c *scramClient) Next(challenge []byte) ([]byte, error) {
	if c.serverSig != nil {
		return nil, errors.New("SCRAM: unexpected second challenge")
	}
	nonce, salt, iters, err := parseServerFirst(string(challenge))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(nonce, c.cnonce) || len(nonce) == len(c.cnonce) {
		return nil, errors.New("SCRAM: server nonce does not extend ours")
	}
	salted, err := saltedPassword(c.h, c.pass, salt, iters)
	if err != nil {
		return nil, err
	}
	final := "c=biws,r=" + nonce
	authMsg := c.clientFirst + "," + string(challenge) + "," + final
	clientKey := hmacSum(c.h, salted, "Client Key")
	stored := c.h()
	stored.Write(clientKey)
	sig := hmacSum(c.h, stored.Sum(nil), authMsg)
	proof := make([]byte, len(clientKey))
	for i := range proof {
		proof[i] = clientKey[i] ^ sig[i]
	}
	c.serverSig = hmacSum(c.h, hmacSum(c.h, salted, "Server Key"), authMsg)
	return []byte(final + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// Verify checks the server-final-message "v=..." (RFC 5802 §3).
func (c *scramClient) Verify(success []byte) error {
	s := string(success)
	if c.serverSig == nil {
		return errors.New("SCRAM: success before the exchange finished")
	}
	if strings.HasPrefix(s, "e=") {
		return fmt.Errorf("SCRAM: server error %q", s[2:])
	}
	v, ok := strings.CutPrefix(s, "v=")
	if !ok {
		return errors.New("SCRAM: server-final-message lacks v=")
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !hmac.Equal(sig, c.serverSig) {
		return errors.New("SCRAM: wrong server signature")
	}
	return nil
}

// parseServerFirst reads "r=...,s=...,i=..." (RFC 5802 §5.1), ignoring
// extensions after i.
func parseServerFirst(s string) (nonce string, salt []byte, iters int, err error) {
	if strings.HasPrefix(s, "m=") {
		return "", nil, 0, errors.New("SCRAM: mandatory extension not supported")
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "r":
			nonce = v
		case "s":
			salt, err = base64.StdEncoding.DecodeString(v)
		case "i":
			iters, err = strconv.Atoi(v)
		}
		if err != nil {
			return "", nil, 0, fmt.Errorf("SCRAM: bad server-first-message: %v", err)
		}
	}
	if nonce == "" || len(salt) == 0 || iters < 1 || iters > 1_000_000 {
		return "", nil, 0, fmt.Errorf("SCRAM: bad server-first-message %q", s)
	}
	return nonce, salt, iters, nil
}

func hmacSum(h func() hash.Hash, key []byte, msg string) []byte {
	m := hmac.New(h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// saltCache remembers SaltedPassword per hash, password, salt and
// iteration count, as real clients do, so that repeated logins of one
// account cost the client one PBKDF2 run.
var saltCache sync.Map // string → []byte

// saltedPassword is Hi(Normalize(password), salt, i) (RFC 5802 §2.2), with
// the password prepared by the PRECIS OpaqueString profile (RFC 7613 §4.2)
// like the server does.
func saltedPassword(h func() hash.Hash, password string, salt []byte, iters int) ([]byte, error) {
	size := h().Size()
	key := strconv.Itoa(size) + "\x00" + strconv.Itoa(iters) + "\x00" + password + "\x00" + string(salt)
	if v, ok := saltCache.Load(key); ok {
		return v.([]byte), nil
	}
	prepared, err := precis.OpaqueString.String(password)
	if err != nil {
		return nil, fmt.Errorf("SCRAM: password: %v", err)
	}
	out, err := pbkdf2.Key(h, prepared, bytes.Clone(salt), iters, size)
	if err != nil {
		return nil, err
	}
	saltCache.Store(key, out)
	return out, nil
}
