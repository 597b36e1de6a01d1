// Package jid implements XMPP addresses as defined in RFC 7622: parsing,
// PRECIS enforcement of localparts (UsernameCaseMapped) and resourceparts
// (OpaqueString), IDNA2008 mapping of domainparts, and the length limits.
//
// A JID is a small comparable value: two JIDs are equal exactly when their
// normalised forms are equal (RFC 7622 §3.2.3), so a JID can be used as a map
// key and compared with ==.
package jid

import (
	"strings"
	"unicode/utf8"
)

// JID is a normalised XMPP address <localpart@domainpart/resourcepart>.
// The zero value is the empty address; it is not a valid JID (IsZero reports
// it). Values from Parse and New are always valid and normalised.
type JID struct {
	local, domain, resource string
}

// Parse parses and enforces an XMPP address (RFC 7622 §3.1). The separators
// are found before any mapping (RFC 7622 §3.1, implementation note): the
// resourcepart is everything after the first '/', the localpart everything
// before the first '@' that precedes it (RFC 7622 §3.2).
func Parse(s string) (JID, error) {
	if !utf8.ValidString(s) {
		return JID{}, newErr(PartJID, ErrInvalidUTF8, nil)
	}
	rest, res, hasRes := strings.Cut(s, "/")
	local, dom, hasLocal := strings.Cut(rest, "@")
	if !hasLocal {
		local, dom = "", rest
	}
	if dom == "" {
		return JID{}, newErr(PartDomain, ErrNoDomain, nil)
	}
	if hasLocal && local == "" {
		return JID{}, newErr(PartLocal, ErrEmpty, nil)
	}
	if hasRes && res == "" {
		return JID{}, newErr(PartResource, ErrEmpty, nil)
	}
	return New(local, dom, res)
}

// New builds a JID from its parts, enforcing each of them. An empty local or
// resource means the part is absent; the domain is required.
func New(local, domain, resource string) (JID, error) {
	var j JID
	var err error
	if j.domain, err = NormalizeDomain(domain); err != nil {
		return JID{}, err
	}
	if local != "" {
		if j.local, err = NormalizeLocalpart(local); err != nil {
			return JID{}, err
		}
	}
	if resource != "" {
		if j.resource, err = NormalizeResource(resource); err != nil {
			return JID{}, err
		}
	}
	return j, nil
}

// MustParse is like Parse but panics on error. It is meant for constants in
// tests and for addresses known to be valid.
func MustParse(s string) JID {
	j, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return j
}

// Localpart returns the normalised localpart, "" when absent.
func (j JID) Localpart() string { return j.local }

// Domainpart returns the normalised domainpart, "" only for the zero JID.
func (j JID) Domainpart() string { return j.domain }

// Resourcepart returns the normalised resourcepart, "" when absent.
func (j JID) Resourcepart() string { return j.resource }

// Bare returns the JID without its resourcepart (<localpart@domainpart>).
func (j JID) Bare() JID { return JID{local: j.local, domain: j.domain} }

// Domain returns the domain-only JID (<domainpart>).
func (j JID) Domain() JID { return JID{domain: j.domain} }

// WithResource returns the bare JID with resourcepart r, enforced with
// NormalizeResource. An empty r yields the bare JID. The zero JID has no
// domainpart and so cannot take a resource.
func (j JID) WithResource(r string) (JID, error) {
	if j.domain == "" {
		return JID{}, newErr(PartDomain, ErrNoDomain, nil)
	}
	b := j.Bare()
	if r == "" {
		return b, nil
	}
	var err error
	if b.resource, err = NormalizeResource(r); err != nil {
		return JID{}, err
	}
	return b, nil
}

// IsBare reports whether the JID has no resourcepart.
func (j JID) IsBare() bool { return j.resource == "" }

// IsZero reports whether j is the zero (empty, invalid) JID.
func (j JID) IsZero() bool { return j == JID{} }

// String returns the address in its normalised string form, "" for the
// zero JID. Parse(j.String()) returns j.
func (j JID) String() string {
	if j.local == "" && j.resource == "" {
		return j.domain
	}
	var b strings.Builder
	b.Grow(len(j.local) + len(j.domain) + len(j.resource) + 2)
	if j.local != "" {
		b.WriteString(j.local)
		b.WriteByte('@')
	}
	b.WriteString(j.domain)
	if j.resource != "" {
		b.WriteByte('/')
		b.WriteString(j.resource)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler; the zero JID is "".
func (j JID) MarshalText() ([]byte, error) { return []byte(j.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with Parse; empty text
// yields the zero JID.
func (j *JID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*j = JID{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*j = p
	return nil
}
