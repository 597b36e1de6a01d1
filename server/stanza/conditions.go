package stanza

// Condition is a defined stanza error condition (RFC 6120 §8.3.3): the name
// of the condition element in the NSStanzas namespace.
//
// A Condition is also an error, so errors.Is(err, stanza.ItemNotFound)
// tells whether err is a stanza error with that condition.
type Condition string

// The defined conditions of RFC 6120 §8.3.3. Each comment quotes the RFC
// and gives the error type NewError uses (the type of the RFC's example).
const (
	// BadRequest: "The sender has sent a stanza containing XML that does
	// not conform to the appropriate schema or that cannot be processed"
	// (RFC 6120 §8.3.3.1). Type modify.
	BadRequest Condition = "bad-request"
	// Conflict: "Access cannot be granted because an existing resource
	// exists with the same name or address" (§8.3.3.2). Type cancel.
	Conflict Condition = "conflict"
	// FeatureNotImplemented: "The feature represented in the XML stanza is
	// not implemented by the intended recipient or an intermediate server"
	// (§8.3.3.3). Type cancel.
	FeatureNotImplemented Condition = "feature-not-implemented"
	// Forbidden: "The requesting entity does not possess the necessary
	// permissions to perform an action" (§8.3.3.4). Type auth.
	Forbidden Condition = "forbidden"
	// Gone: "The recipient or server can no longer be contacted at this
	// address, typically on a permanent basis"; Error.URI carries the new
	// address (§8.3.3.5). Type cancel.
	Gone Condition = "gone"
	// InternalServerError: "The server has experienced a misconfiguration
	// or other internal error" (§8.3.3.6). Type cancel.
	InternalServerError Condition = "internal-server-error"
	// ItemNotFound: "The addressed JID or item requested cannot be found"
	// (§8.3.3.7). Type cancel.
	ItemNotFound Condition = "item-not-found"
	// JIDMalformed: "The sending entity has provided ... or communicated
	// ... an XMPP address or aspect thereof that violates the rules defined
	// in [XMPP-ADDR]" (§8.3.3.8). Type modify.
	JIDMalformed Condition = "jid-malformed"
	// NotAcceptable: "The recipient or server understands the request but
	// cannot process it because the request does not meet criteria defined
	// by the recipient or server" (§8.3.3.9). Type modify.
	NotAcceptable Condition = "not-acceptable"
	// NotAllowed: "The recipient or server does not allow any entity to
	// perform the action" (§8.3.3.10). Type cancel.
	NotAllowed Condition = "not-allowed"
	// NotAuthorized: "The sender needs to provide credentials before being
	// allowed to perform the action, or has provided improper credentials"
	// (§8.3.3.11). Type auth.
	NotAuthorized Condition = "not-authorized"
	// PolicyViolation: "The entity has violated some local service policy"
	// (§8.3.3.12). Type modify.
	PolicyViolation Condition = "policy-violation"
	// RecipientUnavailable: "The intended recipient is temporarily
	// unavailable, undergoing maintenance, etc." (§8.3.3.13). Type wait.
	RecipientUnavailable Condition = "recipient-unavailable"
	// Redirect: "The recipient or server is redirecting requests for this
	// information to another entity, typically in a temporary fashion";
	// Error.URI carries the alternate address (§8.3.3.14). Type modify.
	Redirect Condition = "redirect"
	// RegistrationRequired: "The requesting entity is not authorized to
	// access the requested service because prior registration is necessary"
	// (§8.3.3.15). Type auth.
	RegistrationRequired Condition = "registration-required"
	// RemoteServerNotFound: "A remote server or service specified as part
	// or all of the JID of the intended recipient does not exist or cannot
	// be resolved" (§8.3.3.16). Type cancel.
	RemoteServerNotFound Condition = "remote-server-not-found"
	// RemoteServerTimeout: "A remote server or service ... was resolved but
	// communications could not be established within a reasonable amount of
	// time" (§8.3.3.17). Type wait.
	RemoteServerTimeout Condition = "remote-server-timeout"
	// ResourceConstraint: "The server or recipient is busy or lacks the
	// system resources necessary to service the request" (§8.3.3.18).
	// Type wait.
	ResourceConstraint Condition = "resource-constraint"
	// ServiceUnavailable: "The server or recipient does not currently
	// provide the requested service" (§8.3.3.19). Type cancel.
	ServiceUnavailable Condition = "service-unavailable"
	// SubscriptionRequired: "The requesting entity is not authorized to
	// access the requested service because a prior subscription is
	// necessary" (§8.3.3.20). Type auth.
	SubscriptionRequired Condition = "subscription-required"
	// UndefinedCondition: "The error condition is not one of those defined
	// by the other conditions in this list"; it "SHOULD NOT be used except
	// in conjunction with an application-specific condition" (§8.3.3.21).
	// Type modify, as in the RFC's example.
	UndefinedCondition Condition = "undefined-condition"
	// UnexpectedRequest: "The recipient or server understood the request
	// but was not expecting it at this time" (§8.3.3.22). Type modify, as in
	// the RFC's example.
	UnexpectedRequest Condition = "unexpected-request"
)

// ErrorType is the 'type' attribute of an <error/> element (RFC 6120
// §8.3.2).
type ErrorType string

// The error types of RFC 6120 §8.3.2.
const (
	Auth     ErrorType = "auth"     // retry after providing credentials
	Cancel   ErrorType = "cancel"   // do not retry (the error cannot be remedied)
	Continue ErrorType = "continue" // proceed (the condition was only a warning)
	Modify   ErrorType = "modify"   // retry after changing the data sent
	Wait     ErrorType = "wait"     // retry after waiting (the error is temporary)
)

// defaultTypes maps every defined condition to its usual error type
// (RFC 6120 §8.3.3, as used in the RFC's examples).
var defaultTypes = map[Condition]ErrorType{
	BadRequest:            Modify,
	Conflict:              Cancel,
	FeatureNotImplemented: Cancel,
	Forbidden:             Auth,
	Gone:                  Cancel,
	InternalServerError:   Cancel,
	ItemNotFound:          Cancel,
	JIDMalformed:          Modify,
	NotAcceptable:         Modify,
	NotAllowed:            Cancel,
	NotAuthorized:         Auth,
	PolicyViolation:       Modify,
	RecipientUnavailable:  Wait,
	Redirect:              Modify,
	RegistrationRequired:  Auth,
	RemoteServerNotFound:  Cancel,
	RemoteServerTimeout:   Wait,
	ResourceConstraint:    Wait,
	ServiceUnavailable:    Cancel,
	SubscriptionRequired:  Auth,
	UndefinedCondition:    Modify,
	UnexpectedRequest:     Modify,
}

// Conditions returns every defined condition of RFC 6120 §8.3.3, in the
// order of the RFC.
func Conditions() []Condition {
	return []Condition{
		BadRequest, Conflict, FeatureNotImplemented, Forbidden, Gone,
		InternalServerError, ItemNotFound, JIDMalformed, NotAcceptable,
		NotAllowed, NotAuthorized, PolicyViolation, RecipientUnavailable,
		Redirect, RegistrationRequired, RemoteServerNotFound,
		RemoteServerTimeout, ResourceConstraint, ServiceUnavailable,
		SubscriptionRequired, UndefinedCondition, UnexpectedRequest,
	}
}

// Defined reports whether c is one of the conditions of RFC 6120 §8.3.3.
func (c Condition) Defined() bool {
	_, ok := defaultTypes[c]
	return ok
}

// DefaultType returns the usual error type of c; Cancel for a condition
// that is not defined.
func (c Condition) DefaultType() ErrorType {
	if t, ok := defaultTypes[c]; ok {
		return t
	}
	return Cancel
}

// Error makes a bare condition usable as an error and as a target of
// errors.Is.
func (c Condition) Error() string { return "stanza error: " + string(c) }
