package roster

import "github.com/parley-xmpp/parley/storage"

// Conversions between the state machine, the stored roster item and the
// wire item.

// FromItem returns the subscription state recorded in a stored item; nil
// (no record) is the zero State: None, not in the roster. A record marked
// PendingOnly only holds a pending inbound request, which RFC 6121 §3.1.3
// keeps out of the roster until the user approves (State.InRoster false).
func FromItem(it *storage.RosterItem) State {
	if it == nil {
		return State{}
	}
	s := State{
		Sub:         MakeSub(string(it.Subscription), it.Ask, it.PendingIn),
		PreApproved: it.PreApproved,
		InRoster:    !it.PendingOnly,
	}
	return s.norm()
}

// ApplyState returns the stored item for contact after the state machine
// moved to s: a copy of cur (nil for a new record) with the subscription,
// ask, pending-in and pre-approval fields replaced, or nil when s needs no
// record. A State with InRoster false yields a PendingOnly record while a
// request is pending (see FromItem). The pending inbound stanza is dropped once no request is pending;
// the caller sets it when a request becomes pending (RFC 6121 §3.1.3).
func ApplyState(cur *storage.RosterItem, contact string, s State) *storage.RosterItem {
	s = s.norm()
	if !s.Stored() {
		return nil
	}
	var it storage.RosterItem
	if cur != nil {
		it = *cur
		it.Groups = append([]string(nil), cur.Groups...)
	}
	it.Contact = contact
	it.Subscription = storage.Subscription(s.Sub.Subscription())
	it.Ask = s.Sub.PendingOut()
	it.PendingIn = s.Sub.PendingIn()
	it.PreApproved = s.PreApproved
	it.PendingOnly = !s.InRoster
	if !it.PendingIn {
		it.PendingInStanza = ""
	}
	if len(it.Groups) == 0 {
		it.Groups = nil
	}
	return &it
}

// WireItem is the <item/> a roster result or push shows for a stored item
// (RFC 6121 §2.1.2); the pending inbound request is not shown.
func WireItem(it storage.RosterItem) Item {
	s := FromItem(&it)
	return Item{
		JID:          it.Contact,
		Name:         it.Name,
		Subscription: s.Sub.Subscription(),
		Ask:          s.Sub.PendingOut(),
		Approved:     s.PreApproved,
		Groups:       it.Groups,
	}
}

// RemovedItem is the <item/> of the push announcing that contact left the
// roster (RFC 6121 §2.5.2).
func RemovedItem(contact string) Item {
	return Item{JID: contact, Subscription: SubscriptionRemove}
}
