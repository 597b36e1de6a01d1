package sasl

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/beevik/etree"
)

func xmlString(t *testing.T, el *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	doc.WriteSettings.CanonicalEndTags = false
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFailureElement(t *testing.T) {
	for _, tc := range []struct {
		f    Failure
		want string
	}{
		// RFC 6120 §6.4.5 example.
		{Failure{Condition: NotAuthorized}, `<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>`},
		{Failure{Condition: AccountDisabled, Text: "Call 212-555-1212 for help."},
			`<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><account-disabled/><text xml:lang="en">Call 212-555-1212 for help.</text></failure>`},
		{Failure{}, `<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized/></failure>`},
	} {
		el := tc.f.Element()
		if got := xmlString(t, el); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		if el.NamespaceURI() != NS || el.ChildElements()[0].NamespaceURI() != NS {
			t.Error("namespace does not resolve")
		}
	}
}

func TestConditions(t *testing.T) {
	all := []Condition{Aborted, AccountDisabled, CredentialsExpired, EncryptionRequired,
		IncorrectEncoding, InvalidAuthzid, InvalidMechanism, MalformedRequest,
		MechanismTooWeak, NotAuthorized, TemporaryAuthFailure}
	names := "aborted account-disabled credentials-expired encryption-required " +
		"incorrect-encoding invalid-authzid invalid-mechanism malformed-request " +
		"mechanism-too-weak not-authorized temporary-auth-failure"
	if got := fmt.Sprint(all); got != "["+names+"]" {
		t.Errorf("conditions = %s", got)
	}
}

func TestFailureError(t *testing.T) {
	var err error = fail(MalformedRequest, "bad")
	if err.Error() != "sasl: malformed-request: bad" || fail(Aborted, "").Error() != "sasl: aborted" {
		t.Errorf("Error() = %q", err.Error())
	}
	wrapped := fmt.Errorf("auth: %w", err)
	if !errors.Is(wrapped, &Failure{Condition: MalformedRequest}) || errors.Is(wrapped, &Failure{Condition: Aborted}) {
		t.Error("errors.Is by condition")
	}
}

func TestSuccessChallenge(t *testing.T) {
	for _, tc := range []struct {
		el   *etree.Element
		want string
	}{
		{Success(nil), `<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`},
		{Success([]byte{}), `<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">=</success>`},
		{Success([]byte(sha1ServerFinal)), `<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl">dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9</success>`},
		{Challenge(nil), `<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">=</challenge>`},
		{Challenge([]byte("r=abc")), `<challenge xmlns="urn:ietf:params:xml:ns:xmpp-sasl">cj1hYmM=</challenge>`},
	} {
		if got := xmlString(t, tc.el); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
	}{
		{"", nil},
		{"=", []byte{}},
		{"cj1hYmM=", []byte("r=abc")},
		{"AGFsaWNlAHdvbmRlcmxhbmQ=", []byte("\x00alice\x00wonderland")},
	} {
		got, err := DecodeBase64(tc.in)
		if err != nil || !bytes.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("DecodeBase64(%q) = %q, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"==", "cj1hYmM", "cj1hYmN=", "!!!!", "cj1h YmM=", "Zg=x"} {
		_, err := DecodeBase64(bad)
		wantFailure(t, err, IncorrectEncoding)
	}
}
