package sasl

import (
	"bytes"
	"unicode/utf8"
)

// plain is the server side of PLAIN (RFC 4616), verified against the SCRAM
// credentials with VerifyPlain.
type plain struct {
	cfg              Config
	started, over    bool
	authcid, authzid string
}

func (p *plain) Name() string { return PLAIN }

func (p *plain) Identity() (authcid, authzid string) { return p.authcid, p.authzid }

// Step implements Mechanism. Without an initial response the server sends
// an empty challenge first (RFC 4616 §2, RFC 6120 §6.4.2).
func (p *plain) Step(in []byte) ([]byte, bool, error) {
	if p.over {
		return nil, false, fail(MalformedRequest, "exchange is over")
	}
	if in == nil && !p.started {
		p.started = true
		return []byte{}, false, nil
	}
	p.over = true
	authzid, authcid, passwd, ok := parsePlain(in)
	if !ok {
		return nil, false, fail(MalformedRequest, "expected authzid NUL authcid NUL passwd")
	}
	cred, disabled, err := p.cfg.lookup(authcid, SHA256, SHA1)
	if err != nil {
		return nil, false, err
	}
	if !VerifyPlain(cred, passwd) {
		return nil, false, fail(NotAuthorized, "")
	}
	if disabled {
		return nil, false, fail(AccountDisabled, "")
	}
	p.authcid, p.authzid = authcid, authzid
	return nil, true, nil
}

// parsePlain splits message = [authzid] UTF8NUL authcid UTF8NUL passwd
// (RFC 4616 §2): authcid and passwd non-empty, at most 255 octets each,
// everything valid UTF-8 without further NULs.
func parsePlain(in []byte) (authzid, authcid, passwd string, ok bool) {
	parts := bytes.Split(in, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 || len(parts[2]) == 0 ||
		len(parts[0]) > 255 || len(parts[1]) > 255 || len(parts[2]) > 255 {
		return "", "", "", false
	}
	for _, p := range parts {
		if !utf8.Valid(p) {
			return "", "", "", false
		}
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), true
}
