package roster

// The presence subscription state machine of RFC 6121 Appendix A, written as
// pure functions: given the user's state towards one contact and one
// subscription-related presence stanza, they return the new state and what
// the server does with the stanza. Nothing here touches storage or connections.

// Sub is one of the nine subscription states of RFC 6121 Appendix A.1, seen
// from the user's side. The zero value is None, which also stands for a
// contact that is not in the user's roster at all (Appendix A.1,
// Implementation Note).
type Sub uint8

// The nine states of RFC 6121 Appendix A.1, in the order of its tables.
const (
	// None: neither is subscribed and nothing is pending (subscription='none').
	None Sub = iota
	// NonePendingOut: the user asked the contact (subscription='none' ask='subscribe').
	NonePendingOut
	// NonePendingIn: the contact asked the user (subscription='none').
	NonePendingIn
	// NonePendingOutIn: both asked, neither answered (subscription='none' ask='subscribe').
	NonePendingOutIn
	// To: the user is subscribed to the contact (subscription='to').
	To
	// ToPendingIn: To, and the contact asked the user (subscription='to').
	ToPendingIn
	// From: the contact is subscribed to the user (subscription='from').
	From
	// FromPendingOut: From, and the user asked the contact (subscription='from' ask='subscribe').
	FromPendingOut
	// Both: mutual subscription (subscription='both').
	Both
)

// numSubs is the number of states; tables are arrays of this length.
const numSubs = int(Both) + 1

var subNames = [numSubs]string{
	"None", "None + Pending Out", "None + Pending In", "None + Pending Out+In",
	"To", "To + Pending In", "From", "From + Pending Out", "Both",
}

// String returns the state's name as RFC 6121 Appendix A writes it.
func (s Sub) String() string {
	if int(s) < numSubs {
		return subNames[s]
	}
	return "invalid"
}

// HasTo reports whether the user is subscribed to the contact's presence.
func (s Sub) HasTo() bool { return s == To || s == ToPendingIn || s == Both }

// HasFrom reports whether the contact is subscribed to the user's presence.
func (s Sub) HasFrom() bool { return s == From || s == FromPendingOut || s == Both }

// PendingOut reports whether the user's request to the contact is pending
// (the roster item's ask='subscribe', RFC 6121 §2.1.2.2).
func (s Sub) PendingOut() bool {
	return s == NonePendingOut || s == NonePendingOutIn || s == FromPendingOut
}

// PendingIn reports whether the contact's request to the user is pending.
func (s Sub) PendingIn() bool {
	return s == NonePendingIn || s == NonePendingOutIn || s == ToPendingIn
}

// Subscription returns the roster 'subscription' attribute value of the
// state: "none", "to", "from" or "both" (RFC 6121 §2.1.2.5).
func (s Sub) Subscription() string {
	switch {
	case s == Both:
		return SubscriptionBoth
	case s.HasTo():
		return SubscriptionTo
	case s.HasFrom():
		return SubscriptionFrom
	}
	return SubscriptionNone
}

// MakeSub builds the state from its roster representation: the subscription
// attribute, the ask flag and the pending inbound request. Combinations the
// RFC cannot reach (ask with to/both, a pending inbound request with
// from/both) lose the impossible flag; an unknown subscription is "none".
func MakeSub(subscription string, ask, pendingIn bool) Sub {
	to, from := false, false
	switch subscription {
	case SubscriptionTo:
		to = true
	case SubscriptionFrom:
		from = true
	case SubscriptionBoth:
		to, from = true, true
	}
	switch {
	case to && from:
		return Both
	case to && pendingIn:
		return ToPendingIn
	case to:
		return To
	case from && ask:
		return FromPendingOut
	case from:
		return From
	case ask && pendingIn:
		return NonePendingOutIn
	case ask:
		return NonePendingOut
	case pendingIn:
		return NonePendingIn
	}
	return None
}

// State is everything the state machine knows about the user's relation to
// one contact.
type State struct {
	// Sub is the Appendix A subscription state.
	Sub Sub
	// PreApproved is the 'approved' flag of RFC 6121 §3.4: the user sent
	// "subscribed" before the contact asked. Only meaningful in None,
	// NonePendingOut and To; the functions keep it false elsewhere.
	PreApproved bool
	// InRoster reports whether the user has a roster item for the contact.
	// It is false for an unknown contact and for one whose only trace is a
	// pending inbound request, which RFC 6121 §3.1.3 forbids adding to the
	// roster before the user approves it. Any state other than None and
	// NonePendingIn implies it.
	InRoster bool
}

// Stored reports whether anything about the contact needs to be kept:
// false means the record (if any) can be deleted.
func (s State) Stored() bool {
	return s.InRoster || s.Sub != None || s.PreApproved
}

// norm restores the invariants: states that only a roster item can hold
// imply InRoster, and a pre-approval only exists where §3.4.2 can set it.
func (s State) norm() State {
	if s.Sub != None && s.Sub != NonePendingIn {
		s.InRoster = true
	}
	if s.Sub != None && s.Sub != NonePendingOut && s.Sub != To {
		s.PreApproved = false
	}
	if s.PreApproved {
		s.InRoster = true
	}
	return s
}

// Type is the type of a subscription-related presence stanza.
type Type string

// The four subscription-related presence types of RFC 6121 §3.
const (
	Subscribe    Type = "subscribe"
	Subscribed   Type = "subscribed"
	Unsubscribe  Type = "unsubscribe"
	Unsubscribed Type = "unsubscribed"
)

// Requirement is a conformance level from the ROUTE? and DELIVER? columns of
// the Appendix A tables.
type Requirement uint8

// Requirement levels as the tables abbreviate them.
const (
	// Must: "MUST" route (outbound) or deliver (inbound) the stanza.
	Must Requirement = iota + 1
	// ShouldNot: "S.N.", the server does not pass the stanza on.
	ShouldNot
	// MustNot: "M.N.", the server does not pass the stanza on.
	MustNot
)

// String returns the level as the tables write it.
func (r Requirement) String() string {
	switch r {
	case Must:
		return "MUST"
	case ShouldNot:
		return "S.N."
	case MustNot:
		return "M.N."
	}
	return "invalid"
}

// Outcome is the result of processing one subscription stanza.
type Outcome struct {
	// Prev is the state before the stanza, State the state after it.
	Prev, State State
	// Forward is the table's ROUTE? column for an outbound stanza (route it
	// to the contact, stamped with the user's bare JID) or DELIVER? column
	// for an inbound one (deliver it to the user). Only Must passes the
	// stanza on: Parley implements every SHOULD NOT as "does not".
	Forward Requirement
	// AutoReply, when not empty, is the presence type the server sends to
	// the contact on the user's behalf (inbound stanzas only).
	AutoReply Type
	// Push reports whether the user's interested resources get a roster
	// push of the item: whenever the state of an item in the roster changed
	// (§3.1.2, §3.1.5, §3.1.6, §3.2.2, §3.2.3, §3.3.2, §3.3.3, §3.4.2). Every
	// stored change gets a new roster version, which the push carries, so a
	// change the item's attributes do not show (a pending inbound request)
	// is pushed too; a stanza that changes nothing is never pushed (§2.6.3:
	// the version in a push is unique).
	Push bool
	// Changed reports whether State differs from Prev and must be stored.
	Changed bool
}

// Forwarded reports whether the stanza is routed (outbound) or delivered
// (inbound).
func (o Outcome) Forwarded() bool { return o.Forward == Must }

// GainedFrom reports that the contact just got a subscription to the
// user's presence: the server sends the contact the user's current
// presence (RFC 6121 §3.1.5).
func (o Outcome) GainedFrom() bool { return !o.Prev.Sub.HasFrom() && o.State.Sub.HasFrom() }

// LostFrom reports that the contact's subscription to the user ended: the
// contact gets unavailable presence from the user's available resources
// (RFC 6121 §3.2.2, §3.3.3).
func (o Outcome) LostFrom() bool { return o.Prev.Sub.HasFrom() && !o.State.Sub.HasFrom() }

// GainedTo reports that the user just got a subscription to the contact's
// presence (RFC 6121 §3.1.6: the contact's presence follows).
func (o Outcome) GainedTo() bool { return !o.Prev.Sub.HasTo() && o.State.Sub.HasTo() }

// LostTo reports that the user's subscription to the contact ended: the
// user's resources should no longer show the contact as available (RFC
// 6121 §3.2.3, §3.3.2).
func (o Outcome) LostTo() bool { return o.Prev.Sub.HasTo() && !o.State.Sub.HasTo() }

func finish(prev, next State, fwd Requirement, reply Type) Outcome {
	next = next.norm()
	return Outcome{
		Prev:      prev,
		State:     next,
		Forward:   fwd,
		AutoReply: reply,
		Push:      next.InRoster && prev != next,
		Changed:   prev != next,
	}
}

// Outbound processes a subscription stanza the user sends to the contact
// (RFC 6121 Appendix A.2, §3.1.2, §3.1.5, §3.2.2, §3.3.2, §3.4.2). An unknown
// type returns the state unchanged with Forward MustNot.
func Outbound(s State, t Type) Outcome {
	s = s.norm()
	switch t {
	case Subscribe:
		return OutboundSubscribe(s)
	case Subscribed:
		return OutboundSubscribed(s)
	case Unsubscribe:
		return OutboundUnsubscribe(s)
	case Unsubscribed:
		return OutboundUnsubscribed(s)
	}
	return Outcome{Prev: s, State: s, Forward: MustNot}
}

// Inbound processes a subscription stanza the contact sends to the user
// (RFC 6121 Appendix A.3, §3.1.3, §3.1.6, §3.2.3, §3.3.3, §3.4.2). An unknown
// type returns the state unchanged with Forward MustNot.
func Inbound(s State, t Type) Outcome {
	s = s.norm()
	switch t {
	case Subscribe:
		return InboundSubscribe(s)
	case Subscribed:
		return InboundSubscribed(s)
	case Unsubscribe:
		return InboundUnsubscribe(s)
	case Unsubscribed:
		return InboundUnsubscribed(s)
	}
	return Outcome{Prev: s, State: s, Forward: MustNot}
}

// Removal says which presence stanzas the user's server sends to the
// contact when the user removes the contact's roster item.
type Removal struct {
	Unsubscribe  bool // cancel the user's subscription or pending request
	Unsubscribed bool // cancel the contact's subscription or deny its request
}

// Remove is the subscription side of deleting a roster item (RFC 6121
// §2.5.2): "unsubscribe" when the user is subscribed to the contact and
// "unsubscribed" when the contact is subscribed to the user. Parley also
// withdraws a pending outbound request and denies a pending inbound one,
// so that no half-open request outlives the item. The new state is the
// zero State (nothing stored).
func Remove(s State) Removal {
	s = s.norm()
	return Removal{
		Unsubscribe:  s.Sub.HasTo() || s.Sub.PendingOut(),
		Unsubscribed: s.Sub.HasFrom() || s.Sub.PendingIn(),
	}
}
