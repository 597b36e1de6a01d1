package jid

import (
	"errors"
	"fmt"
	"strings"
)

// maxDetail bounds the underlying error text kept in Error(): IDNA errors
// quote the whole offending label.
const maxDetail = 80

// Part names the part of a JID an error is about.
type Part uint8

// The parts of a JID (RFC 7622 §3.1).
const (
	PartJID      Part = iota // the address as a whole
	PartLocal                // the localpart (RFC 7622 §3.3)
	PartDomain               // the domainpart (RFC 7622 §3.2)
	PartResource             // the resourcepart (RFC 7622 §3.4)
)

// String returns the RFC 7622 name of the part.
func (p Part) String() string {
	switch p {
	case PartLocal:
		return "localpart"
	case PartDomain:
		return "domainpart"
	case PartResource:
		return "resourcepart"
	default:
		return "jid"
	}
}

// Reasons an address is rejected. Every error returned by this package is an
// *Error whose Reason is one of these, so errors.Is(err, jid.ErrEmpty) works.
var (
	// ErrEmpty: a part is zero octets long (RFC 7622 §3.2, §3.3, §3.4).
	ErrEmpty = errors.New("empty")
	// ErrTooLong: a part is longer than 1023 octets (RFC 7622 §3.1).
	ErrTooLong = errors.New("longer than 1023 octets")
	// ErrInvalidUTF8: the input is not valid UTF-8 (RFC 7622 §3.1).
	ErrInvalidUTF8 = errors.New("not valid UTF-8")
	// ErrForbidden: a code point is not allowed in the part, by its PRECIS
	// profile, by IDNA2008, or by RFC 7622 §3.3.1.
	ErrForbidden = errors.New("disallowed code point")
	// ErrSpace: a resourcepart begins or ends with a space (RFC 7622 §3.5,
	// example 18).
	ErrSpace = errors.New("leading or trailing space")
	// ErrNoDomain: the address has no domainpart (RFC 7622 §3.5, examples
	// 22 and 23).
	ErrNoDomain = errors.New("missing domainpart")
)

// Error is the error returned for a malformed address or part. A stanza
// carrying such an address is answered with <jid-malformed/> (RFC 7622 §4).
type Error struct {
	Part   Part  // which part is malformed
	Reason error // one of the Err* values of this package
	Detail error // the underlying PRECIS or IDNA error, if any
}

// Error describes the problem without repeating the (possibly huge) input.
func (e *Error) Error() string {
	if e.Detail != nil {
		d := e.Detail.Error()
		if len(d) > maxDetail {
			d = strings.ToValidUTF8(d[:maxDetail], "") + "..."
		}
		return fmt.Sprintf("jid: %s: %v (%s)", e.Part, e.Reason, d)
	}
	return fmt.Sprintf("jid: %s: %v", e.Part, e.Reason)
}

// Unwrap returns the reason, for errors.Is.
func (e *Error) Unwrap() error { return e.Reason }

func newErr(p Part, reason, detail error) error {
	return &Error{Part: p, Reason: reason, Detail: detail}
}
