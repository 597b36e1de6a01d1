package sasl

import (
	"encoding/base64"
	"errors"

	"github.com/beevik/etree"
)

// NS is the namespace of the XMPP SASL elements (RFC 6120 §6.4).
const NS = "urn:ietf:params:xml:ns:xmpp-sasl"

// Condition is a SASL error condition (RFC 6120 §6.5), the name of the
// child element of <failure/>.
type Condition string

// The SASL error conditions of RFC 6120 §6.5.
const (
	Aborted              Condition = "aborted"                // §6.5.1
	AccountDisabled      Condition = "account-disabled"       // §6.5.2
	CredentialsExpired   Condition = "credentials-expired"    // §6.5.3
	EncryptionRequired   Condition = "encryption-required"    // §6.5.4
	IncorrectEncoding    Condition = "incorrect-encoding"     // §6.5.5
	InvalidAuthzid       Condition = "invalid-authzid"        // §6.5.6
	InvalidMechanism     Condition = "invalid-mechanism"      // §6.5.7
	MalformedRequest     Condition = "malformed-request"      // §6.5.8
	MechanismTooWeak     Condition = "mechanism-too-weak"     // §6.5.9
	NotAuthorized        Condition = "not-authorized"         // §6.5.10
	TemporaryAuthFailure Condition = "temporary-auth-failure" // §6.5.11
)

// Failure is a failed SASL negotiation: the condition to report in
// <failure/> and an optional human-readable text (RFC 6120 §6.5).
type Failure struct {
	Condition Condition
	Text      string
}

func fail(c Condition, text string) *Failure { return &Failure{Condition: c, Text: text} }

// Error implements error.
func (f *Failure) Error() string {
	if f.Text == "" {
		return "sasl: " + string(f.Condition)
	}
	return "sasl: " + string(f.Condition) + ": " + f.Text
}

// Is reports whether target is a *Failure with the same condition, so that
// errors.Is(err, &sasl.Failure{Condition: sasl.NotAuthorized}) works.
func (f *Failure) Is(target error) bool {
	var t *Failure
	return errors.As(target, &t) && t.Condition == f.Condition
}

// Element returns the <failure/> element reporting f (RFC 6120 §6.4.5):
// <failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><COND/>[<text xml:lang='en'>..</text>]</failure>.
func (f *Failure) Element() *etree.Element {
	el := etree.NewElement("failure")
	el.CreateAttr("xmlns", NS)
	c := f.Condition
	if c == "" {
		c = NotAuthorized // RFC 6120 §6.5: unknown conditions mean not-authorized
	}
	el.CreateElement(string(c))
	if f.Text != "" {
		t := el.CreateElement("text")
		t.CreateAttr("xml:lang", "en")
		t.SetText(f.Text)
	}
	return el
}

// Success returns the <success/> element (RFC 6120 §6.4.6) carrying
// additional as base64. nil means no additional data (an empty element);
// a non-nil empty slice is sent as "=".
func Success(additional []byte) *etree.Element {
	el := etree.NewElement("success")
	el.CreateAttr("xmlns", NS)
	if additional != nil {
		el.SetText(encode(additional))
	}
	return el
}

// Challenge returns the <challenge/> element (RFC 6120 §6.4.3) carrying
// data as base64, "=" when data is empty.
func Challenge(data []byte) *etree.Element {
	el := etree.NewElement("challenge")
	el.CreateAttr("xmlns", NS)
	el.SetText(encode(data))
	return el
}

// encode is base64 with "=" for zero-length data (RFC 6120 §6.4.2, §6.4.6).
func encode(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeBase64 decodes the character data of <auth/> or <response/>
// (RFC 6120 §6.4.2). "" (no data) decodes to nil, "=" (data of zero length)
// to an empty non-nil slice; whitespace is not allowed. Invalid base64
// yields *Failure{IncorrectEncoding} (RFC 6120 §6.5.5).
func DecodeBase64(s string) ([]byte, error) {
	switch s {
	case "":
		return nil, nil
	case "=":
		return []byte{}, nil
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fail(IncorrectEncoding, "invalid base64")
	}
	return b, nil
}
