package stream

import (
	"strings"

	"github.com/beevik/etree"
)

// Condition is a defined stream error condition (RFC 6120 §4.9.3): the local
// name of the condition element in the NSStreamErrors namespace. A Condition
// is itself an error, so errors.Is(err, stream.PolicyViolation) works for any
// *Error err.
type Condition string

// The stream error conditions of RFC 6120 §4.9.3.
const (
	// BadFormat: "The entity has sent XML that cannot be processed."
	// (RFC 6120 §4.9.3.1)
	BadFormat Condition = "bad-format"
	// BadNamespacePrefix: "The entity has sent a namespace prefix that is
	// unsupported, or has sent no namespace prefix on an element that needs
	// such a prefix." (RFC 6120 §4.9.3.2)
	BadNamespacePrefix Condition = "bad-namespace-prefix"
	// Conflict: "The server either (1) is closing the existing stream for
	// this entity because a new stream has been initiated that conflicts with
	// the existing stream, or (2) is refusing a new stream for this entity
	// because allowing the new stream would conflict with an existing
	// stream." (RFC 6120 §4.9.3.3)
	Conflict Condition = "conflict"
	// ConnectionTimeout: "One party is closing the stream because it has
	// reason to believe that the other party has permanently lost the
	// ability to communicate over the stream." (RFC 6120 §4.9.3.4)
	ConnectionTimeout Condition = "connection-timeout"
	// HostGone: "The value of the 'to' attribute provided in the initial
	// stream header corresponds to an FQDN that is no longer serviced by the
	// receiving entity." (RFC 6120 §4.9.3.5)
	HostGone Condition = "host-gone"
	// HostUnknown: "The value of the 'to' attribute provided in the initial
	// stream header does not correspond to an FQDN that is serviced by the
	// receiving entity." (RFC 6120 §4.9.3.6)
	HostUnknown Condition = "host-unknown"
	// ImproperAddressing: "A stanza sent between two servers lacks a 'to' or
	// 'from' attribute, the 'from' or 'to' attribute has no value, or the
	// value violates the rules for XMPP addresses." (RFC 6120 §4.9.3.7)
	ImproperAddressing Condition = "improper-addressing"
	// InternalServerError: "The server has experienced a misconfiguration or
	// other internal error that prevents it from servicing the stream."
	// (RFC 6120 §4.9.3.8)
	InternalServerError Condition = "internal-server-error"
	// InvalidFrom: "The data provided in a 'from' attribute does not match an
	// authorized JID or validated domain as negotiated." (RFC 6120 §4.9.3.9)
	InvalidFrom Condition = "invalid-from"
	// InvalidNamespace: "The stream namespace name is something other than
	// "http://etherx.jabber.org/streams" or the content namespace declared as
	// the default namespace is not supported." (RFC 6120 §4.9.3.10)
	InvalidNamespace Condition = "invalid-namespace"
	// InvalidXML: "The entity has sent invalid XML over the stream to a
	// server that performs validation." (RFC 6120 §4.9.3.11)
	InvalidXML Condition = "invalid-xml"
	// NotAuthorized: "The entity has attempted to send XML stanzas or other
	// outbound data before the stream has been authenticated, or otherwise is
	// not authorized to perform an action related to stream negotiation."
	// (RFC 6120 §4.9.3.12)
	NotAuthorized Condition = "not-authorized"
	// NotWellFormed: "The initiating entity has sent XML that violates the
	// well-formedness rules of [XML] or [XML-NAMES]." (RFC 6120 §4.9.3.13)
	NotWellFormed Condition = "not-well-formed"
	// PolicyViolation: "The entity has violated some local service policy
	// (e.g., a stanza exceeds a configured size limit)." (RFC 6120 §4.9.3.14)
	PolicyViolation Condition = "policy-violation"
	// RemoteConnectionFailed: "The server is unable to properly connect to a
	// remote entity that is needed for authentication or authorization."
	// (RFC 6120 §4.9.3.15)
	RemoteConnectionFailed Condition = "remote-connection-failed"
	// Reset: "The server is closing the stream because it has new (typically
	// security-critical) features to offer, because the keys or certificates
	// used to establish a secure context for the stream have expired or have
	// been revoked during the life of the stream, because the TLS sequence
	// number has wrapped, etc." (RFC 6120 §4.9.3.16)
	Reset Condition = "reset"
	// ResourceConstraint: "The server lacks the system resources necessary to
	// service the stream." (RFC 6120 §4.9.3.17)
	ResourceConstraint Condition = "resource-constraint"
	// RestrictedXML: "The entity has attempted to send restricted XML
	// features such as a comment, processing instruction, DTD subset, or XML
	// entity reference." (RFC 6120 §4.9.3.18)
	RestrictedXML Condition = "restricted-xml"
	// SeeOtherHost: "The server will not provide service to the initiating
	// entity but is redirecting traffic to another host under the
	// administrative control of the same service provider." The new host is
	// in Error.Host. (RFC 6120 §4.9.3.19)
	SeeOtherHost Condition = "see-other-host"
	// SystemShutdown: "The server is being shut down and all active streams
	// are being closed." (RFC 6120 §4.9.3.20)
	SystemShutdown Condition = "system-shutdown"
	// UndefinedCondition: "The error condition is not one of those defined by
	// the other conditions in this list; this error condition SHOULD NOT be
	// used except in conjunction with an application-specific condition."
	// (RFC 6120 §4.9.3.21)
	UndefinedCondition Condition = "undefined-condition"
	// UnsupportedEncoding: "The initiating entity has encoded the stream in
	// an encoding that is not supported by the server or has otherwise
	// improperly encoded the stream (e.g., by violating the rules of the
	// [UTF-8] encoding)." (RFC 6120 §4.9.3.22)
	UnsupportedEncoding Condition = "unsupported-encoding"
	// UnsupportedFeature: "The receiving entity has advertised a
	// mandatory-to-negotiate stream feature that the initiating entity does
	// not support, and has offered no other mandatory-to-negotiate feature
	// alongside the unsupported feature." (RFC 6120 §4.9.3.23)
	UnsupportedFeature Condition = "unsupported-feature"
	// UnsupportedStanzaType: "The initiating entity has sent a first-level
	// child of the stream that is not supported by the server."
	// (RFC 6120 §4.9.3.24)
	UnsupportedStanzaType Condition = "unsupported-stanza-type"
	// UnsupportedVersion: "The 'version' attribute provided by the initiating
	// entity in the stream header specifies a version of XMPP that is not
	// supported by the server." (RFC 6120 §4.9.3.25)
	UnsupportedVersion Condition = "unsupported-version"
)

// Conditions lists every defined condition in RFC 6120 §4.9.3 order.
var Conditions = []Condition{
	BadFormat, BadNamespacePrefix, Conflict, ConnectionTimeout, HostGone,
	HostUnknown, ImproperAddressing, InternalServerError, InvalidFrom,
	InvalidNamespace, InvalidXML, NotAuthorized, NotWellFormed,
	PolicyViolation, RemoteConnectionFailed, Reset, ResourceConstraint,
	RestrictedXML, SeeOtherHost, SystemShutdown, UndefinedCondition,
	UnsupportedEncoding, UnsupportedFeature, UnsupportedStanzaType,
	UnsupportedVersion,
}

// Error implements error, so that a Condition can be an errors.Is target.
func (c Condition) Error() string { return "stream error: " + string(c) }

// Known reports whether c is one of the conditions defined in RFC 6120 §4.9.3.
func (c Condition) Known() bool {
	for _, k := range Conditions {
		if c == k {
			return true
		}
	}
	return false
}

// Error is a stream error (RFC 6120 §4.9). Stream errors are unrecoverable:
// the stream is closed after it is sent (RFC 6120 §4.9.1.1).
type Error struct {
	Condition Condition
	Text      string         // optional descriptive text (RFC 6120 §4.9.2)
	Lang      string         // xml:lang of Text
	App       *etree.Element // optional application-specific condition (RFC 6120 §4.9.4)
	Host      string         // the new host of see-other-host (RFC 6120 §4.9.3.19)
}

// NewError returns a stream error with condition c and descriptive text.
func NewError(c Condition, text string) *Error {
	return &Error{Condition: c, Text: text}
}

// Error implements error.
func (e *Error) Error() string {
	s := "stream error: " + string(e.cond())
	if e.Host != "" {
		s += " " + e.Host
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is reports whether target is a *Error or a Condition with the same
// condition as e.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t != nil && t.cond() == e.cond()
	case Condition:
		return t == e.cond()
	}
	return false
}

// cond returns the condition, undefined-condition when none is set.
func (e *Error) cond() Condition {
	if e.Condition == "" {
		return UndefinedCondition
	}
	return e.Condition
}

// Element returns the error as it is sent on the stream (RFC 6120 §4.9.2):
//
//	<stream:error xmlns:stream='http://etherx.jabber.org/streams'>
//	  <condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
//	  [<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='..'>..</text>]
//	  [application-specific condition]
//	</stream:error>
func (e *Error) Element() *etree.Element {
	el := etree.NewElement("stream:error")
	el.CreateAttr("xmlns:stream", NSStream)
	c := el.CreateElement(string(e.cond()))
	c.CreateAttr("xmlns", NSStreamErrors)
	if e.Host != "" {
		c.SetText(e.Host)
	}
	if e.Text != "" {
		t := el.CreateElement("text")
		t.CreateAttr("xmlns", NSStreamErrors)
		if e.Lang != "" {
			t.CreateAttr("xml:lang", e.Lang)
		}
		t.SetText(e.Text)
	}
	if e.App != nil {
		el.AddChild(e.App.Copy())
	}
	return el
}

// ParseError reads a stream error element: the <stream:error/> of Element
// or a received <error xmlns='http://etherx.jabber.org/streams'/>. A
// condition this package does not know is undefined-condition (RFC 6120
// §4.9.2). Text and Host are trimmed of surrounding white space. ParseError
// returns nil when el is nil or not named error.
func ParseError(el *etree.Element) *Error {
	if el == nil || el.Tag != "error" {
		return nil
	}
	e := &Error{}
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != NSStreamErrors {
			if e.App == nil {
				e.App = c.Copy()
				fixNamespace(e.App, c)
			}
			continue
		}
		switch {
		case c.Tag == "text":
			e.Text = strings.TrimSpace(c.Text())
			e.Lang = c.SelectAttrValue("xml:lang", "")
		case e.Condition != "":
			// only the first defined condition counts
		case Condition(c.Tag).Known():
			e.Condition = Condition(c.Tag)
			if e.Condition == SeeOtherHost {
				e.Host = strings.TrimSpace(c.Text())
			}
		default:
			e.Condition = UndefinedCondition
		}
	}
	if e.Condition == "" {
		e.Condition = UndefinedCondition
	}
	return e
}

// fixNamespace gives cp, a detached copy of orig, an xmlns attribute when
// orig inherited its namespace from an ancestor.
func fixNamespace(cp, orig *etree.Element) {
	if cp.Space != "" || cp.SelectAttr("xmlns") != nil {
		return
	}
	if ns := orig.NamespaceURI(); ns != "" {
		cp.CreateAttr("xmlns", ns)
	}
}
