package sasl

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"hash"
	"sync"

	"golang.org/x/text/secure/precis"
)

// Hash names as used in Credentials.Hash and in the SCRAM mechanism names.
const (
	SHA1   = "SHA-1"
	SHA256 = "SHA-256"
)

// DefaultIterations is the SCRAM iteration count used when none is
// configured (RFC 7677 §4 asks for at least 4096).
const DefaultIterations = 4096

// saltSize is the length of the salts NewCredentials generates.
const saltSize = 16

// maxIterations bounds the iteration counts Derive accepts, so that a
// corrupt credential cannot stall a connection for minutes.
const maxIterations = 10_000_000

// Credentials are the salted SCRAM credentials of one account for one hash
// (RFC 5802 §3): what is stored instead of the password. They verify both
// SCRAM and PLAIN.
type Credentials struct {
	Hash       string // SHA1 or SHA256
	Salt       []byte
	Iterations int
	StoredKey  []byte // H(ClientKey)
	ServerKey  []byte // HMAC(SaltedPassword, "Server Key")
}

// hashFunc returns the hash function named h, nil when unsupported.
func hashFunc(h string) func() hash.Hash {
	switch h {
	case SHA1:
		return sha1.New
	case SHA256:
		return sha256.New
	}
	return nil
}

func hmacSum(h func() hash.Hash, key []byte, msgs ...string) []byte {
	m := hmac.New(h, key)
	for _, s := range msgs {
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}

func hashSum(h func() hash.Hash, b []byte) []byte {
	d := h()
	d.Write(b)
	return d.Sum(nil)
}

// saltedPassword is Hi(Normalize(password), salt, i) of RFC 5802 §2.2,
// which is PBKDF2 with HMAC-H and a key of H's size.
func saltedPassword(h func() hash.Hash, password string, salt []byte, iterations int) ([]byte, error) {
	return pbkdf2.Key(h, password, salt, iterations, h().Size())
}

// Derive computes the credentials of password for the hash (SHA1 or SHA256)
// with salt and iterations (RFC 5802 §3):
//
//	SaltedPassword = Hi(Normalize(password), salt, i)
//	ClientKey      = HMAC(SaltedPassword, "Client Key")
//	StoredKey      = H(ClientKey)
//	ServerKey      = HMAC(SaltedPassword, "Server Key")
//
// Normalize is the PRECIS OpaqueString profile (RFC 8265 §4.2), the
// successor of the SASLprep profile RFC 5802 §2.2 names; clients must
// prepare the password the same way.
func Derive(hash, password string, salt []byte, iterations int) (Credentials, error) {
	h := hashFunc(hash)
	if h == nil {
		return Credentials{}, errors.New("sasl: unsupported hash " + hash)
	}
	if iterations < 1 || iterations > maxIterations {
		return Credentials{}, errors.New("sasl: iteration count out of range")
	}
	if len(salt) == 0 {
		return Credentials{}, errors.New("sasl: empty salt")
	}
	p, err := precis.OpaqueString.String(password)
	if err != nil {
		return Credentials{}, errors.New("sasl: password not allowed: " + err.Error())
	}
	sp, err := saltedPassword(h, p, salt, iterations)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		Hash:       hash,
		Salt:       append([]byte(nil), salt...),
		Iterations: iterations,
		StoredKey:  hashSum(h, hmacSum(h, sp, "Client Key")),
		ServerKey:  hmacSum(h, sp, "Server Key"),
	}, nil
}

// NewCredentials derives the SHA-256 and SHA-1 credentials of password,
// each with its own fresh random 16-byte salt. iterations below 1 means
// DefaultIterations.
func NewCredentials(password string, iterations int) ([]Credentials, error) {
	if iterations < 1 {
		iterations = DefaultIterations
	}
	out := make([]Credentials, 0, 2)
	for _, h := range []string{SHA256, SHA1} {
		salt := make([]byte, saltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		c, err := Derive(h, password, salt, iterations)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// VerifyPlain reports whether password matches c, by deriving its StoredKey
// again and comparing in constant time. This is how PLAIN (RFC 4616) is
// verified without a stored password.
func VerifyPlain(c Credentials, password string) bool {
	d, err := Derive(c.Hash, password, c.Salt, c.Iterations)
	if err != nil || len(c.StoredKey) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(d.StoredKey, c.StoredKey) == 1
}

// pick returns the credentials for hash among creds.
func pick(creds []Credentials, hash string) (Credentials, bool) {
	for _, c := range creds {
		if c.Hash == hash && len(c.Salt) > 0 && c.Iterations > 0 &&
			len(c.StoredKey) > 0 && len(c.ServerKey) > 0 {
			return c, true
		}
	}
	return Credentials{}, false
}

var (
	decoyOnce   sync.Once
	decoySecret []byte
)

// decoy returns credentials for a user that does not exist (or lacks
// credentials for hash): derived deterministically from the username and a
// per-process random secret, so that asking twice shows the same salt and
// the exchange fails at the same step, at the same cost, as a wrong
// password would. No password matches them (short of breaking HMAC).
func decoy(hash, username string, iterations int) Credentials {
	decoyOnce.Do(func() {
		decoySecret = make([]byte, 32)
		if _, err := rand.Read(decoySecret); err != nil {
			panic("sasl: no randomness: " + err.Error())
		}
	})
	h := hashFunc(hash)
	if h == nil {
		h, hash = sha256.New, SHA256
	}
	if iterations < 1 {
		iterations = DefaultIterations
	}
	key := func(label string) []byte {
		return hmacSum(sha256.New, decoySecret, label, "\x00", hash, "\x00", username)
	}
	return Credentials{
		Hash:       hash,
		Salt:       key("salt")[:saltSize],
		Iterations: iterations,
		StoredKey:  key("stored")[:h().Size()],
		ServerKey:  key("server")[:h().Size()],
	}
}
