package roster

import (
	"fmt"
	"testing"
)

// appendixRow is one row of an RFC 6121 Appendix A table, transcribed from
// the RFC text independently of tables.go.
type appendixRow struct {
	table string // "A.2.1 Table 2" ...
	in    bool   // inbound (A.3) or outbound (A.2)
	typ   Type
	from  Sub
	fwd   Requirement // ROUTE? or DELIVER?
	to    Sub         // NEW STATE ("no state change" = from)
	pre   bool        // "pre-approval [1]" of Table 4
	reply Type        // footnote auto-reply of Tables 6 and 7
}

const (
	t2 = "A.2.1 Table 2 outbound subscribe"
	t3 = "A.2.2 Table 3 outbound unsubscribe"
	t4 = "A.2.3 Table 4 outbound subscribed"
	t5 = "A.2.4 Table 5 outbound unsubscribed"
	t6 = "A.3.1 Table 6 inbound subscribe"
	t7 = "A.3.2 Table 7 inbound unsubscribe"
	t8 = "A.3.3 Table 8 inbound subscribed"
	t9 = "A.3.4 Table 9 inbound unsubscribed"
)

const (
	must = Must
	sn   = ShouldNot
	mn   = MustNot
)

var appendixA = []appendixRow{
	{t2, false, Subscribe, None, must, NonePendingOut, false, ""},
	{t2, false, Subscribe, NonePendingOut, must, NonePendingOut, false, ""},
	{t2, false, Subscribe, NonePendingIn, must, NonePendingOutIn, false, ""},
	{t2, false, Subscribe, NonePendingOutIn, must, NonePendingOutIn, false, ""},
	{t2, false, Subscribe, To, must, To, false, ""},
	{t2, false, Subscribe, ToPendingIn, must, ToPendingIn, false, ""},
	{t2, false, Subscribe, From, must, FromPendingOut, false, ""},
	{t2, false, Subscribe, FromPendingOut, must, FromPendingOut, false, ""},
	{t2, false, Subscribe, Both, must, Both, false, ""},

	{t3, false, Unsubscribe, None, must, None, false, ""},
	{t3, false, Unsubscribe, NonePendingOut, must, None, false, ""},
	{t3, false, Unsubscribe, NonePendingIn, must, NonePendingIn, false, ""},
	{t3, false, Unsubscribe, NonePendingOutIn, must, NonePendingIn, false, ""},
	{t3, false, Unsubscribe, To, must, None, false, ""},
	{t3, false, Unsubscribe, ToPendingIn, must, NonePendingIn, false, ""},
	{t3, false, Unsubscribe, From, must, From, false, ""},
	{t3, false, Unsubscribe, FromPendingOut, must, From, false, ""},
	{t3, false, Unsubscribe, Both, must, From, false, ""},

	{t4, false, Subscribed, None, mn, None, true, ""},
	{t4, false, Subscribed, NonePendingOut, mn, NonePendingOut, true, ""},
	{t4, false, Subscribed, NonePendingIn, must, From, false, ""},
	{t4, false, Subscribed, NonePendingOutIn, must, FromPendingOut, false, ""},
	{t4, false, Subscribed, To, mn, To, true, ""},
	{t4, false, Subscribed, ToPendingIn, must, Both, false, ""},
	{t4, false, Subscribed, From, mn, From, false, ""},
	{t4, false, Subscribed, FromPendingOut, mn, FromPendingOut, false, ""},
	{t4, false, Subscribed, Both, mn, Both, false, ""},

	{t5, false, Unsubscribed, None, sn, None, false, ""},
	{t5, false, Unsubscribed, NonePendingOut, sn, NonePendingOut, false, ""},
	{t5, false, Unsubscribed, NonePendingIn, must, None, false, ""},
	{t5, false, Unsubscribed, NonePendingOutIn, must, NonePendingOut, false, ""},
	{t5, false, Unsubscribed, To, sn, To, false, ""},
	{t5, false, Unsubscribed, ToPendingIn, must, To, false, ""},
	{t5, false, Unsubscribed, From, must, None, false, ""},
	{t5, false, Unsubscribed, FromPendingOut, must, NonePendingOut, false, ""},
	{t5, false, Unsubscribed, Both, must, To, false, ""},

	{t6, true, Subscribe, None, must, NonePendingIn, false, ""},
	{t6, true, Subscribe, NonePendingOut, must, NonePendingOutIn, false, ""},
	{t6, true, Subscribe, NonePendingIn, sn, NonePendingIn, false, ""},
	{t6, true, Subscribe, NonePendingOutIn, sn, NonePendingOutIn, false, ""},
	{t6, true, Subscribe, To, must, ToPendingIn, false, ""},
	{t6, true, Subscribe, ToPendingIn, sn, ToPendingIn, false, ""},
	{t6, true, Subscribe, From, sn, From, false, Subscribed},
	{t6, true, Subscribe, FromPendingOut, sn, FromPendingOut, false, Subscribed},
	{t6, true, Subscribe, Both, sn, Both, false, Subscribed},

	{t7, true, Unsubscribe, None, sn, None, false, ""},
	{t7, true, Unsubscribe, NonePendingOut, sn, NonePendingOut, false, ""},
	{t7, true, Unsubscribe, NonePendingIn, must, None, false, Unsubscribed},
	{t7, true, Unsubscribe, NonePendingOutIn, must, NonePendingOut, false, Unsubscribed},
	{t7, true, Unsubscribe, To, sn, To, false, ""},
	{t7, true, Unsubscribe, ToPendingIn, must, To, false, Unsubscribed},
	{t7, true, Unsubscribe, From, must, None, false, Unsubscribed},
	{t7, true, Unsubscribe, FromPendingOut, must, NonePendingOut, false, Unsubscribed},
	{t7, true, Unsubscribe, Both, must, To, false, Unsubscribed},

	{t8, true, Subscribed, None, sn, None, false, ""},
	{t8, true, Subscribed, NonePendingOut, must, To, false, ""},
	{t8, true, Subscribed, NonePendingIn, sn, NonePendingIn, false, ""},
	{t8, true, Subscribed, NonePendingOutIn, must, ToPendingIn, false, ""},
	{t8, true, Subscribed, To, sn, To, false, ""},
	{t8, true, Subscribed, ToPendingIn, sn, ToPendingIn, false, ""},
	{t8, true, Subscribed, From, sn, From, false, ""},
	{t8, true, Subscribed, FromPendingOut, must, Both, false, ""},
	{t8, true, Subscribed, Both, sn, Both, false, ""},

	{t9, true, Unsubscribed, None, sn, None, false, ""},
	{t9, true, Unsubscribed, NonePendingOut, must, None, false, ""},
	{t9, true, Unsubscribed, NonePendingIn, sn, NonePendingIn, false, ""},
	{t9, true, Unsubscribed, NonePendingOutIn, must, NonePendingIn, false, ""},
	{t9, true, Unsubscribed, To, must, None, false, ""},
	{t9, true, Unsubscribed, ToPendingIn, must, NonePendingIn, false, ""},
	{t9, true, Unsubscribed, From, sn, From, false, ""},
	{t9, true, Unsubscribed, FromPendingOut, must, From, false, ""},
	{t9, true, Unsubscribed, Both, must, From, false, ""},
}

// TestAppendixA checks every row of every state table of RFC 6121
// Appendix A, for a contact already in the user's roster.
func TestAppendixA(t *testing.T) {
	if len(appendixA) != 8*numSubs {
		t.Fatalf("transcribed %d rows, want %d", len(appendixA), 8*numSubs)
	}
	for _, r := range appendixA {
		t.Run(r.table+"/"+r.from.String(), func(t *testing.T) {
			start := State{Sub: r.from, InRoster: true}
			var o Outcome
			if r.in {
				o = Inbound(start, r.typ)
			} else {
				o = Outbound(start, r.typ)
			}
			want := State{Sub: r.to, PreApproved: r.pre, InRoster: true}
			if o.State != want {
				t.Errorf("new state %+v, want %+v", o.State, want)
			}
			if o.Forward != r.fwd {
				t.Errorf("forward %v, want %v", o.Forward, r.fwd)
			}
			if o.Forwarded() != (r.fwd == Must) {
				t.Errorf("Forwarded() = %v with %v", o.Forwarded(), o.Forward)
			}
			if o.AutoReply != r.reply {
				t.Errorf("auto-reply %q, want %q", o.AutoReply, r.reply)
			}
			changed := want != start
			if o.Changed != changed || o.Push != changed {
				t.Errorf("changed %v push %v, want both %v", o.Changed, o.Push, changed)
			}
			if o.Prev != start {
				t.Errorf("prev %+v, want %+v", o.Prev, start)
			}
		})
	}
}

// TestAppendixADirectCalls checks that the per-type functions agree with
// the dispatchers.
func TestAppendixADirectCalls(t *testing.T) {
	out := map[Type]func(State) Outcome{
		Subscribe: OutboundSubscribe, Subscribed: OutboundSubscribed,
		Unsubscribe: OutboundUnsubscribe, Unsubscribed: OutboundUnsubscribed,
	}
	in := map[Type]func(State) Outcome{
		Subscribe: InboundSubscribe, Subscribed: InboundSubscribed,
		Unsubscribe: InboundUnsubscribe, Unsubscribed: InboundUnsubscribed,
	}
	for _, s := range allStates() {
		for typ, f := range out {
			if got, want := f(s), Outbound(s, typ); got != want {
				t.Errorf("outbound %s %+v: %+v != %+v", typ, s, got, want)
			}
		}
		for typ, f := range in {
			if got, want := f(s), Inbound(s, typ); got != want {
				t.Errorf("inbound %s %+v: %+v != %+v", typ, s, got, want)
			}
		}
	}
}

// allStates lists every State value with the invariants of State.norm.
func allStates() []State {
	var out []State
	for sub := None; sub <= Both; sub++ {
		for _, pre := range []bool{false, true} {
			for _, in := range []bool{false, true} {
				s := State{Sub: sub, PreApproved: pre, InRoster: in}
				if s.norm() == s {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// TestUnknownContact covers the None and None + Pending In states of a
// contact without a roster item (Appendix A.1 Implementation Note, §3.1.3).
func TestUnknownContact(t *testing.T) {
	unknown := State{}
	pendingOnly := State{Sub: NonePendingIn}
	tests := []struct {
		name   string
		in     bool
		start  State
		typ    Type
		want   State
		fwd    Requirement
		push   bool
		stored bool
	}{
		// §3.1.3: record the request, MUST NOT add a roster item.
		{"inbound subscribe", true, unknown, Subscribe, pendingOnly, Must, false, true},
		{"inbound subscribe again", true, pendingOnly, Subscribe, pendingOnly, ShouldNot, false, true},
		// §3.3.3 last paragraph: remove the record of the request.
		{"inbound unsubscribe", true, pendingOnly, Unsubscribe, unknown, Must, false, false},
		// §3.1.5 approval: the contact enters the roster as From.
		{"outbound subscribed", false, pendingOnly, Subscribed, State{Sub: From, InRoster: true}, Must, true, true},
		// §3.2.2 denial of a request from someone not in the roster.
		{"outbound unsubscribed", false, pendingOnly, Unsubscribed, unknown, Must, false, false},
		// §3.1.2: the request creates the item with ask='subscribe'.
		{"outbound subscribe", false, unknown, Subscribe, State{Sub: NonePendingOut, InRoster: true}, Must, true, true},
		{"outbound subscribe pending in", false, pendingOnly, Subscribe, State{Sub: NonePendingOutIn, InRoster: true}, Must, true, true},
		// §3.4.2 item 4: pre-approval creates the item.
		{"outbound pre-approval", false, unknown, Subscribed, State{PreApproved: true, InRoster: true}, MustNot, true, true},
		// §3.1.6, §3.2.3, §3.3.3 "otherwise": ignored silently.
		{"inbound subscribed", true, unknown, Subscribed, unknown, ShouldNot, false, false},
		{"inbound unsubscribed", true, unknown, Unsubscribed, unknown, ShouldNot, false, false},
		{"inbound unsubscribe none", true, unknown, Unsubscribe, unknown, ShouldNot, false, false},
		{"outbound unsubscribe", false, unknown, Unsubscribe, unknown, Must, false, false},
		{"outbound unsubscribed none", false, unknown, Unsubscribed, unknown, ShouldNot, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Outbound(tt.start, tt.typ)
			if tt.in {
				o = Inbound(tt.start, tt.typ)
			}
			if o.State != tt.want || o.Forward != tt.fwd || o.Push != tt.push || o.State.Stored() != tt.stored {
				t.Errorf("got state %+v fwd %v push %v stored %v; want %+v %v %v %v",
					o.State, o.Forward, o.Push, o.State.Stored(), tt.want, tt.fwd, tt.push, tt.stored)
			}
		})
	}
}

// TestPreApproval covers RFC 6121 §3.4.2 and the pre-approval footnotes of
// Tables 4, 5 and 6.
func TestPreApproval(t *testing.T) {
	for _, sub := range []Sub{None, NonePendingOut, To} {
		pre := State{Sub: sub, PreApproved: true, InRoster: true}
		t.Run("again/"+sub.String(), func(t *testing.T) {
			o := Outbound(pre, Subscribed)
			if o.Changed || o.Push || o.Forward != MustNot || o.State != pre {
				t.Errorf("repeated pre-approval: %+v", o)
			}
		})
		t.Run("inbound subscribe/"+sub.String(), func(t *testing.T) {
			// §3.4.2: MUST NOT deliver, MUST auto-reply "subscribed".
			o := Inbound(pre, Subscribe)
			want := State{Sub: approve(sub), InRoster: true}
			if o.State != want || o.Forward != MustNot || o.AutoReply != Subscribed || !o.Push {
				t.Errorf("got %+v, want state %+v, not delivered, auto-reply, push", o, want)
			}
		})
		t.Run("cancel/"+sub.String(), func(t *testing.T) {
			// Table 5 [1], §3.2.2 item 2: remove it, MUST NOT route.
			o := Outbound(pre, Unsubscribed)
			want := State{Sub: sub, InRoster: true}
			if o.State != want || o.Forward != MustNot || !o.Push {
				t.Errorf("got %+v, want state %+v, not routed, push", o, want)
			}
		})
	}
	if got := approve(None); got != From {
		t.Errorf("approve(None) = %v", got)
	}
	if got := approve(NonePendingOut); got != FromPendingOut {
		t.Errorf("approve(NonePendingOut) = %v", got)
	}
	if got := approve(To); got != Both {
		t.Errorf("approve(To) = %v", got)
	}
	// Pre-approval survives an unrelated outbound unsubscribe (Table 3).
	o := Outbound(State{Sub: NonePendingOut, PreApproved: true, InRoster: true}, Unsubscribe)
	if o.State != (State{Sub: None, PreApproved: true, InRoster: true}) {
		t.Errorf("unsubscribe dropped the pre-approval: %+v", o.State)
	}
}

// TestInvariants runs every stanza through every reachable state and checks
// the invariants the storage mapping relies on.
func TestInvariants(t *testing.T) {
	types := []Type{Subscribe, Subscribed, Unsubscribe, Unsubscribed}
	for _, s := range allStates() {
		for _, typ := range types {
			for _, in := range []bool{false, true} {
				o := Outbound(s, typ)
				if in {
					o = Inbound(s, typ)
				}
				name := fmt.Sprintf("in=%v %s %+v", in, typ, s)
				if o.State.norm() != o.State {
					t.Errorf("%s: result %+v breaks invariants", name, o.State)
				}
				if o.Push && !o.State.InRoster {
					t.Errorf("%s: push without roster item", name)
				}
				if s.InRoster && !o.State.InRoster {
					t.Errorf("%s: item vanished", name)
				}
				if o.AutoReply != "" && !in {
					t.Errorf("%s: auto-reply on outbound stanza", name)
				}
			}
		}
	}
	o := Outbound(State{}, "probe")
	if o.Forward != MustNot || o.Changed {
		t.Errorf("unknown outbound type: %+v", o)
	}
	o = Inbound(State{}, "")
	if o.Forward != MustNot || o.Changed {
		t.Errorf("unknown inbound type: %+v", o)
	}
}

// TestMakeSub checks the mapping to and from the roster attributes
// (Appendix A.1: how each state is reflected in the roster).
func TestMakeSub(t *testing.T) {
	want := map[Sub]struct {
		sub            string
		ask, pendingIn bool
	}{
		None:             {"none", false, false},
		NonePendingOut:   {"none", true, false},
		NonePendingIn:    {"none", false, true},
		NonePendingOutIn: {"none", true, true},
		To:               {"to", false, false},
		ToPendingIn:      {"to", false, true},
		From:             {"from", false, false},
		FromPendingOut:   {"from", true, false},
		Both:             {"both", false, false},
	}
	for s, w := range want {
		if s.Subscription() != w.sub || s.PendingOut() != w.ask || s.PendingIn() != w.pendingIn {
			t.Errorf("%v: got %s ask=%v in=%v", s, s.Subscription(), s.PendingOut(), s.PendingIn())
		}
		if got := MakeSub(w.sub, w.ask, w.pendingIn); got != s {
			t.Errorf("MakeSub(%s,%v,%v) = %v, want %v", w.sub, w.ask, w.pendingIn, got, s)
		}
	}
	// Unreachable combinations drop the impossible flag.
	for _, c := range []struct {
		sub            string
		ask, pendingIn bool
		want           Sub
	}{
		{"to", true, false, To},
		{"from", false, true, From},
		{"both", true, true, Both},
		{"", true, false, NonePendingOut},
		{"remove", false, false, None},
	} {
		if got := MakeSub(c.sub, c.ask, c.pendingIn); got != c.want {
			t.Errorf("MakeSub(%q,%v,%v) = %v, want %v", c.sub, c.ask, c.pendingIn, got, c.want)
		}
	}
	if Sub(42).String() != "invalid" || Requirement(0).String() != "invalid" {
		t.Error("invalid values print")
	}
}

// TestRemove checks the cancellations of RFC 6121 §2.5.2.
func TestRemove(t *testing.T) {
	want := map[Sub]Removal{
		None:             {},
		NonePendingOut:   {Unsubscribe: true},
		NonePendingIn:    {Unsubscribed: true},
		NonePendingOutIn: {Unsubscribe: true, Unsubscribed: true},
		To:               {Unsubscribe: true},
		ToPendingIn:      {Unsubscribe: true, Unsubscribed: true},
		From:             {Unsubscribed: true},
		FromPendingOut:   {Unsubscribe: true, Unsubscribed: true},
		Both:             {Unsubscribe: true, Unsubscribed: true},
	}
	for s, w := range want {
		if got := Remove(State{Sub: s, InRoster: true}); got != w {
			t.Errorf("Remove(%v) = %+v, want %+v", s, got, w)
		}
	}
}

// TestPresenceEffects checks the subscription edges the presence code acts on.
func TestPresenceEffects(t *testing.T) {
	in := func(s Sub) State { return State{Sub: s, InRoster: true} }
	tests := []struct {
		name                       string
		o                          Outcome
		gainF, lostF, gainT, lostT bool
	}{
		{"§3.1.5 approval", Outbound(in(NonePendingIn), Subscribed), true, false, false, false},
		{"§3.1.6 approved", Inbound(in(NonePendingOut), Subscribed), false, false, true, false},
		{"§3.2.2 cancel", Outbound(in(Both), Unsubscribed), false, true, false, false},
		{"§3.2.3 cancelled", Inbound(in(Both), Unsubscribed), false, false, false, true},
		{"§3.3.2 unsubscribe", Outbound(in(To), Unsubscribe), false, false, false, true},
		{"§3.3.3 unsubscribed", Inbound(in(FromPendingOut), Unsubscribe), false, true, false, false},
		{"no change", Inbound(in(Both), Subscribe), false, false, false, false},
	}
	for _, tt := range tests {
		o := tt.o
		if o.GainedFrom() != tt.gainF || o.LostFrom() != tt.lostF || o.GainedTo() != tt.gainT || o.LostTo() != tt.lostT {
			t.Errorf("%s: gainFrom %v lostFrom %v gainTo %v lostTo %v", tt.name,
				o.GainedFrom(), o.LostFrom(), o.GainedTo(), o.LostTo())
		}
	}
}
