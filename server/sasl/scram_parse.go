package sasl

import (
	"strings"
	"unicode/utf8"
)

// clientFirst is a parsed client-first-message (RFC 5802 §7).
type clientFirst struct {
	gs2Header string // gs2-header verbatim, with its trailing comma
	flag      byte   // 'n', 'y' or 'p'
	cbType    string // cb-name when flag is 'p'
	authzid   string // unescaped, "" for none
	bare      string // client-first-message-bare verbatim
	username  string // unescaped
	nonce     string // c-nonce
}

// parseClientFirst parses
//
//	client-first-message = gs2-header client-first-message-bare
//	gs2-header = gs2-cbind-flag "," [ authzid ] ","
//	client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
//
// (RFC 5802 §7); violations are malformed-request.
func parseClientFirst(msg string) (*clientFirst, error) {
	if !utf8.ValidString(msg) || strings.IndexByte(msg, 0) >= 0 {
		return nil, fail(MalformedRequest, "invalid characters")
	}
	flag, rest, ok1 := strings.Cut(msg, ",")
	az, bare, ok2 := strings.Cut(rest, ",")
	if !ok1 || !ok2 {
		return nil, fail(MalformedRequest, "missing gs2 header")
	}
	cf := &clientFirst{gs2Header: msg[:len(flag)+len(az)+2], bare: bare}
	switch {
	case flag == "n" || flag == "y":
		cf.flag = flag[0]
	case strings.HasPrefix(flag, "p=") && isCBName(flag[2:]):
		cf.flag, cf.cbType = 'p', flag[2:]
	default:
		return nil, fail(MalformedRequest, "invalid channel binding flag")
	}
	if az != "" {
		v, ok := strings.CutPrefix(az, "a=")
		if !ok {
			return nil, fail(MalformedRequest, "invalid authzid")
		}
		a, err := unescapeName(v)
		if err != nil {
			return nil, err
		}
		cf.authzid = a
	}
	return cf, cf.parseBare()
}

// parseBare fills username and nonce from the client-first-message-bare.
func (cf *clientFirst) parseBare() error {
	f := strings.Split(cf.bare, ",")
	if strings.HasPrefix(f[0], "m=") {
		// RFC 5802 §5.1: an implementation MUST fail on the reserved m= attribute.
		return fail(MalformedRequest, "unsupported mandatory extension")
	}
	if len(f) < 2 || !strings.HasPrefix(f[0], "n=") || !strings.HasPrefix(f[1], "r=") {
		return fail(MalformedRequest, "expected n= and r=")
	}
	u, err := unescapeName(f[0][2:])
	if err != nil {
		return err
	}
	cf.username, cf.nonce = u, f[1][2:]
	if !isPrintable(cf.nonce) {
		return fail(MalformedRequest, "invalid nonce")
	}
	return checkExtensions(f[2:])
}

// clientFinal is a parsed client-final-message (RFC 5802 §7).
type clientFinal struct {
	withoutProof string // client-final-message-without-proof verbatim
	cbind        string // c= value (base64)
	nonce        string
	proof        string // p= value (base64)
}

// parseClientFinal parses
//
//	client-final-message = channel-binding "," nonce ["," extensions] "," proof
//
// (RFC 5802 §7); violations are malformed-request.
func parseClientFinal(msg string) (*clientFinal, error) {
	if !utf8.ValidString(msg) || strings.IndexByte(msg, 0) >= 0 {
		return nil, fail(MalformedRequest, "invalid characters")
	}
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, fail(MalformedRequest, "missing proof")
	}
	cl := &clientFinal{withoutProof: msg[:i], proof: msg[i+3:]}
	f := strings.Split(cl.withoutProof, ",")
	if len(f) < 2 || !strings.HasPrefix(f[0], "c=") || !strings.HasPrefix(f[1], "r=") {
		return nil, fail(MalformedRequest, "expected c= and r=")
	}
	cl.cbind, cl.nonce = f[0][2:], f[1][2:]
	return cl, checkExtensions(f[2:])
}

// checkExtensions accepts attr-val pairs (ALPHA "=" value) other than the
// reserved m= (RFC 5802 §7); unknown ones are ignored.
func checkExtensions(exts []string) error {
	for _, e := range exts {
		if len(e) < 2 || e[1] != '=' || !isAlpha(e[0]) || e[0] == 'm' {
			return fail(MalformedRequest, "invalid attribute")
		}
	}
	return nil
}

// unescapeName decodes a saslname (RFC 5802 §5.1): "=2C" is ',', "=3D" is
// '='; any other '=' and the empty name are malformed-request.
func unescapeName(s string) (string, error) {
	if s == "" {
		return "", fail(MalformedRequest, "empty name")
	}
	if strings.IndexByte(s, '=') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", fail(MalformedRequest, "invalid escape in name")
		}
		i += 2
	}
	return b.String(), nil
}

// isCBName reports whether s is a cb-name: 1*(ALPHA / DIGIT / "." / "-").
func isCBName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && (c < '0' || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isPrintable reports whether s is a c-nonce: 1*(%x21-2B / %x2D-7E).
func isPrintable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
