package roster

// The eight state tables of RFC 6121 Appendix A.2 and A.3, transcribed as
// data: one row per existing state, giving the ROUTE?/DELIVER? column and
// the NEW STATE column ("no state change" is the row's own state). The
// footnotes are applied by the functions below.

// row is one line of an Appendix A table.
type row struct {
	fwd  Requirement
	next Sub
}

// table is an Appendix A table indexed by the existing state.
type table [numSubs]row

// outSubscribe is Table 2, processing of outbound "subscribe" (A.2.1).
var outSubscribe = table{
	None:             {Must, NonePendingOut}, // [1] sets ask='subscribe'
	NonePendingOut:   {Must, NonePendingOut},
	NonePendingIn:    {Must, NonePendingOutIn}, // [1]
	NonePendingOutIn: {Must, NonePendingOutIn},
	To:               {Must, To},
	ToPendingIn:      {Must, ToPendingIn},
	From:             {Must, FromPendingOut}, // [1]
	FromPendingOut:   {Must, FromPendingOut},
	Both:             {Must, Both},
}

// outUnsubscribe is Table 3, processing of outbound "unsubscribe" (A.2.2).
var outUnsubscribe = table{
	None:             {Must, None},
	NonePendingOut:   {Must, None},
	NonePendingIn:    {Must, NonePendingIn},
	NonePendingOutIn: {Must, NonePendingIn},
	To:               {Must, None},
	ToPendingIn:      {Must, NonePendingIn},
	From:             {Must, From},
	FromPendingOut:   {Must, From},
	Both:             {Must, From},
}

// outSubscribed is Table 4, processing of outbound "subscribed" (A.2.3).
// The rows None, NonePendingOut and To read "pre-approval [1]": their state
// stays and the pre-approval flag of §3.4 is set.
var outSubscribed = table{
	None:             {MustNot, None},           // pre-approval
	NonePendingOut:   {MustNot, NonePendingOut}, // pre-approval
	NonePendingIn:    {Must, From},
	NonePendingOutIn: {Must, FromPendingOut},
	To:               {MustNot, To}, // pre-approval
	ToPendingIn:      {Must, Both},
	From:             {MustNot, From},
	FromPendingOut:   {MustNot, FromPendingOut},
	Both:             {MustNot, Both},
}

// outUnsubscribed is Table 5, processing of outbound "unsubscribed" (A.2.4).
var outUnsubscribed = table{
	None:             {ShouldNot, None},           // [1] cancels a pre-approval
	NonePendingOut:   {ShouldNot, NonePendingOut}, // [1]
	NonePendingIn:    {Must, None},
	NonePendingOutIn: {Must, NonePendingOut},
	To:               {ShouldNot, To}, // [1]
	ToPendingIn:      {Must, To},
	From:             {Must, None},
	FromPendingOut:   {Must, NonePendingOut},
	Both:             {Must, To},
}

// inSubscribe is Table 6, processing of inbound "subscribe" (A.3.1).
var inSubscribe = table{
	None:             {Must, NonePendingIn}, // [1] pre-approval: auto-reply
	NonePendingOut:   {Must, NonePendingOutIn},
	NonePendingIn:    {ShouldNot, NonePendingIn},
	NonePendingOutIn: {ShouldNot, NonePendingOutIn},
	To:               {Must, ToPendingIn},
	ToPendingIn:      {ShouldNot, ToPendingIn},
	From:             {ShouldNot, From},           // [2] auto-reply "subscribed"
	FromPendingOut:   {ShouldNot, FromPendingOut}, // [2]
	Both:             {ShouldNot, Both},           // [2]
}

// inUnsubscribe is Table 7, processing of inbound "unsubscribe" (A.3.2).
// Every MUST row carries [1]: auto-reply "unsubscribed".
var inUnsubscribe = table{
	None:             {ShouldNot, None},
	NonePendingOut:   {ShouldNot, NonePendingOut},
	NonePendingIn:    {Must, None},
	NonePendingOutIn: {Must, NonePendingOut},
	To:               {ShouldNot, To},
	ToPendingIn:      {Must, To},
	From:             {Must, None},
	FromPendingOut:   {Must, NonePendingOut},
	Both:             {Must, To},
}

// inSubscribed is Table 8, processing of inbound "subscribed" (A.3.3).
var inSubscribed = table{
	None:             {ShouldNot, None},
	NonePendingOut:   {Must, To},
	NonePendingIn:    {ShouldNot, NonePendingIn},
	NonePendingOutIn: {Must, ToPendingIn},
	To:               {ShouldNot, To},
	ToPendingIn:      {ShouldNot, ToPendingIn},
	From:             {ShouldNot, From},
	FromPendingOut:   {Must, Both},
	Both:             {ShouldNot, Both},
}

// inUnsubscribed is Table 9, processing of inbound "unsubscribed" (A.3.4).
var inUnsubscribed = table{
	None:             {ShouldNot, None},
	NonePendingOut:   {Must, None},
	NonePendingIn:    {ShouldNot, NonePendingIn},
	NonePendingOutIn: {Must, NonePendingIn},
	To:               {Must, None},
	ToPendingIn:      {Must, NonePendingIn},
	From:             {ShouldNot, From},
	FromPendingOut:   {Must, From},
	Both:             {Must, From},
}

// preApprovable reports whether an outbound "subscribed" in state s is a
// pre-approval rather than an approval (Table 4 footnote [1], §3.4.2 items
// 3 and 4).
func preApprovable(s Sub) bool { return s == None || s == NonePendingOut || s == To }

// OutboundSubscribe applies Table 2 (RFC 6121 A.2.1, §3.1.2). The user's
// server keeps a roster item for the contact from now on, so the first
// request creates one and pushes it.
func OutboundSubscribe(s State) Outcome {
	s = s.norm()
	r := outSubscribe[s.Sub]
	n := s
	n.Sub, n.InRoster = r.next, true
	return finish(s, n, r.fwd, "")
}

// OutboundUnsubscribe applies Table 3 (RFC 6121 A.2.2, §3.3.2).
func OutboundUnsubscribe(s State) Outcome {
	s = s.norm()
	r := outUnsubscribe[s.Sub]
	n := s
	n.Sub = r.next
	return finish(s, n, r.fwd, "")
}

// OutboundSubscribed applies Table 4 (RFC 6121 A.2.3, §3.1.5, §3.4.2). In
// the pre-approval rows it sets the approved flag, creating the roster item
// when the contact is unknown (§3.4.2 item 4), and does not route the
// stanza. Approving a pending request adds the contact to the roster.
func OutboundSubscribed(s State) Outcome {
	s = s.norm()
	r := outSubscribed[s.Sub]
	n := s
	n.Sub = r.next
	switch {
	case preApprovable(s.Sub):
		n.PreApproved, n.InRoster = true, true
	case r.next != s.Sub:
		n.InRoster = true
	}
	return finish(s, n, r.fwd, "")
}

// OutboundUnsubscribed applies Table 5 (RFC 6121 A.2.4, §3.2.2). Footnote
// [1]: it cancels a pre-approval; then the stanza MUST NOT be routed
// (§3.2.2 item 2). Denying a request from a contact who is not in the
// roster leaves nothing to store.
func OutboundUnsubscribed(s State) Outcome {
	s = s.norm()
	r := outUnsubscribed[s.Sub]
	n := s
	n.Sub, n.PreApproved = r.next, false
	fwd := r.fwd
	if s.PreApproved && fwd != Must {
		fwd = MustNot
	}
	return finish(s, n, fwd, "")
}

// InboundSubscribe applies Table 6 (RFC 6121 A.3.1, §3.1.3). Footnote [1],
// with §3.4.2: when the user pre-approved the contact, the request is not
// delivered, the server auto-replies "subscribed" and the contact gains a
// subscription (None → From, None + Pending Out → From + Pending Out,
// To → Both); the pre-approval is used up. Footnote [2]: a contact that
// already has a subscription gets an auto-reply "subscribed" (§3.1.3 item 2).
func InboundSubscribe(s State) Outcome {
	s = s.norm()
	r := inSubscribe[s.Sub]
	n := s
	if s.PreApproved {
		n.Sub, n.PreApproved = approve(s.Sub), false
		return finish(s, n, MustNot, Subscribed)
	}
	n.Sub = r.next
	var reply Type
	if s.Sub.HasFrom() {
		reply = Subscribed
	}
	return finish(s, n, r.fwd, reply)
}

// approve is the state after the user approves a request made in state s.
func approve(s Sub) Sub {
	switch s {
	case NonePendingOut:
		return FromPendingOut
	case To:
		return Both
	}
	return From
}

// InboundUnsubscribe applies Table 7 (RFC 6121 A.3.2, §3.3.3). Footnote
// [1]: when the state changes the server auto-replies "unsubscribed".
func InboundUnsubscribe(s State) Outcome {
	s = s.norm()
	r := inUnsubscribe[s.Sub]
	n := s
	n.Sub = r.next
	var reply Type
	if r.fwd == Must {
		reply = Unsubscribed
	}
	return finish(s, n, r.fwd, reply)
}

// InboundSubscribed applies Table 8 (RFC 6121 A.3.3, §3.1.6).
func InboundSubscribed(s State) Outcome {
	s = s.norm()
	r := inSubscribed[s.Sub]
	n := s
	n.Sub = r.next
	return finish(s, n, r.fwd, "")
}

// InboundUnsubscribed applies Table 9 (RFC 6121 A.3.4, §3.2.3).
func InboundUnsubscribed(s State) Outcome {
	s = s.norm()
	r := inUnsubscribed[s.Sub]
	n := s
	n.Sub = r.next
	return finish(s, n, r.fwd, "")
}
