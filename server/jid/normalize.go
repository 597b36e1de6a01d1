package jid

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
)

const (
	// maxPart is the limit of every part in octets, after normalisation
	// (RFC 7622 §3.1).
	maxPart = 1023
	// maxRaw bounds the input of one part before normalisation, so that no
	// mapping work is spent on absurd input. Mappings shrink a string by at
	// most a factor of three (full-width to ASCII), so nothing valid is lost.
	maxRaw = 4 * maxPart
	// maxLabel and maxName are the DNS limits (RFC 1034 §3.1) that RFC 7622
	// §3.2 keeps in force for domainparts.
	maxLabel = 63
	maxName  = 253
)

// domainProfile enforces IDNA2008 for domainparts (RFC 7622 §3.2.2): the
// RFC 5895 mappings (case, width, normalisation), label validation,
// the Bidi rule, host name (LDH) rules and the DNS length limits.
var domainProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.Transitional(false),
	idna.VerifyDNSLength(true),
)

// NormalizeLocalpart enforces the PRECIS UsernameCaseMapped profile (RFC 7613
// §3.2) and the further excluded characters of RFC 7622 §3.3.1 on a
// localpart, and checks its length (1 to 1023 octets after mapping).
func NormalizeLocalpart(s string) (string, error) {
	if err := checkRaw(PartLocal, s); err != nil {
		return "", err
	}
	out, ok := asciiLocal(s)
	if !ok {
		var err error
		if out, err = precis.UsernameCaseMapped.String(s); err != nil {
			return "", newErr(PartLocal, ErrForbidden, err)
		}
		// The separators are matched before mapping, so a mapping that
		// produces one (U+FF20 FULLWIDTH COMMERCIAL AT) is an error.
		if strings.ContainsAny(out, localExcluded) {
			return "", newErr(PartLocal, ErrForbidden, nil)
		}
	}
	return out, checkLen(PartLocal, out)
}

// localExcluded are the characters RFC 7622 §3.3.1 removes from localparts.
const localExcluded = "\"&'/:<>@"

// asciiLocal is the fast path of NormalizeLocalpart for printable ASCII,
// where UsernameCaseMapped reduces to lowercasing.
func asciiLocal(s string) (string, bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || strings.IndexByte(localExcluded, c) >= 0 {
			return "", false
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// NormalizeResource enforces the PRECIS OpaqueString profile (RFC 7613 §4.2)
// on a resourcepart and checks its length (1 to 1023 octets after mapping).
// A resourcepart that begins or ends with a space is rejected, as RFC 7622
// §3.5 example 18 lists one as not a JID.
func NormalizeResource(s string) (string, error) {
	if err := checkRaw(PartResource, s); err != nil {
		return "", err
	}
	out := s
	if !isPrintableASCII(s) {
		var err error
		if out, err = precis.OpaqueString.String(s); err != nil {
			return "", newErr(PartResource, ErrForbidden, err)
		}
	}
	if out != "" && (out[0] == ' ' || out[len(out)-1] == ' ') {
		return "", newErr(PartResource, ErrSpace, nil)
	}
	return out, checkLen(PartResource, out)
}

// isPrintableASCII reports whether s is U+0020..U+007E only, where
// OpaqueString is the identity.
func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// NormalizeDomain enforces a domainpart (RFC 7622 §3.2): one trailing dot is
// stripped first; an IP-literal ("[::1]") or IPv4 address is accepted and
// written in its canonical form; anything else must be a host name under
// IDNA2008, returned in its Unicode form (A-labels are converted to U-labels,
// RFC 7622 §3.2.1), lowercased and width-mapped (RFC 7622 §3.2.2).
func NormalizeDomain(s string) (string, error) {
	if err := checkRaw(PartDomain, s); err != nil {
		return "", err
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", newErr(PartDomain, ErrEmpty, nil)
	}
	if s[len(s)-1] == '.' {
		return "", newErr(PartDomain, ErrForbidden, nil)
	}
	if s[0] == '[' {
		return ipLiteral(s)
	}
	if c := s[len(s)-1]; '0' <= c && c <= '9' {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			return a.String(), nil
		}
	}
	if out, ok := asciiDomain(s); ok {
		return out, nil
	}
	if _, err := domainProfile.ToASCII(s); err != nil {
		return "", newErr(PartDomain, ErrForbidden, err)
	}
	out, err := domainProfile.ToUnicode(s)
	if err != nil {
		return "", newErr(PartDomain, ErrForbidden, err)
	}
	// A mapped label separator (U+3002) must not leave a root label behind.
	if strings.HasSuffix(out, ".") {
		return "", newErr(PartDomain, ErrForbidden, nil)
	}
	return out, checkLen(PartDomain, out)
}

// ipLiteral enforces an RFC 3986 IP-literal holding an IPv6 address.
// Zone identifiers (RFC 6874) are not accepted.
func ipLiteral(s string) (string, error) {
	if len(s) < 2 || s[len(s)-1] != ']' {
		return "", newErr(PartDomain, ErrForbidden, nil)
	}
	a, err := netip.ParseAddr(s[1 : len(s)-1])
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", newErr(PartDomain, ErrForbidden, err)
	}
	return "[" + a.String() + "]", nil
}

// asciiDomain is the fast path of NormalizeDomain for plain LDH host names
// (RFC 5890 §2.3.1 NR-LDH labels). It declines anything IDNA needs to
// look at, such as A-labels or hyphens in the third and fourth position.
func asciiDomain(s string) (string, bool) {
	if len(s) > maxName {
		return "", false
	}
	upper := false
	for label := range strings.SplitSeq(s, ".") {
		n := len(label)
		if n == 0 || n > maxLabel || label[0] == '-' || label[n-1] == '-' ||
			(n >= 4 && label[2] == '-' && label[3] == '-') {
			return "", false
		}
		for i := 0; i < n; i++ {
			c := label[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case 'A' <= c && c <= 'Z':
				upper = true
			default:
				return "", false
			}
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}

// checkRaw rejects empty, oversized and non-UTF-8 input before any mapping.
func checkRaw(p Part, s string) error {
	switch {
	case s == "":
		return newErr(p, ErrEmpty, nil)
	case len(s) > maxRaw:
		return newErr(p, ErrTooLong, nil)
	case !utf8.ValidString(s):
		return newErr(p, ErrInvalidUTF8, nil)
	}
	return nil
}

// checkLen applies the 1..1023 octet limit after mapping (RFC 7622 §3.1).
func checkLen(p Part, s string) error {
	switch {
	case s == "":
		return newErr(p, ErrEmpty, nil)
	case len(s) > maxPart:
		return newErr(p, ErrTooLong, nil)
	}
	return nil
}
