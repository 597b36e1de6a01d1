package roster

import (
	"strconv"
	"unicode/utf8"

	"github.com/beevik/etree"
	"golang.org/x/text/secure/precis"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
)

// The jabber:iq:roster codec of RFC 6121 §2.1: parsing roster gets and sets
// sent by a client, building roster results and pushes.

// Namespaces of RFC 6121.
const (
	// NS qualifies the roster <query/> (RFC 6121 §2.1).
	NS = "jabber:iq:roster"
	// NSVersioning is the roster versioning stream feature (RFC 6121 §2.6.1).
	NSVersioning = "urn:xmpp:features:rosterver"
	// NSPreApproval is the subscription pre-approval stream feature (RFC 6121 §3.4).
	NSPreApproval = "urn:xmpp:features:pre-approval"
)

// Values of the item 'subscription' attribute (RFC 6121 §2.1.2.5).
const (
	SubscriptionNone   = "none"
	SubscriptionTo     = "to"
	SubscriptionFrom   = "from"
	SubscriptionBoth   = "both"
	SubscriptionRemove = "remove"
)

// Item is one roster item as it travels in a <query xmlns='jabber:iq:roster'/>
// (RFC 6121 §2.1.2).
type Item struct {
	// JID is the contact's JID as written in the 'jid' attribute.
	JID string
	// Name is the user's handle for the contact; "" means none (§2.4.1).
	Name string
	// Subscription is "none", "to", "from", "both" or "remove". In an
	// item parsed from a roster set it is "remove" or "" (§2.1.5 rule 2).
	Subscription string
	// Ask is the pending-out notation, ask='subscribe' (§2.1.2.2).
	Ask bool
	// Approved is the pre-approval flag, approved='true' (§2.1.2.1).
	Approved bool
	// Groups are the item's groups in document order (§2.1.2.6).
	Groups []string
}

// Remove reports whether the item asks for (or announces) its removal.
func (it Item) Remove() bool { return it.Subscription == SubscriptionRemove }

// Contact parses the item's JID for a roster set from owner. A JID that
// does not parse is jid-malformed (RFC 7622 §4); so is a full JID, since a
// roster holds bare JIDs (RFC 6121 §3.1.2 treats <contact@domain/res> as
// the bare JID; a roster set has no such rule, so it is refused rather than
// silently changed). The owner's own bare JID is not-allowed, as the RFC
// 6121 §2.3.3 Interoperability Note describes: a user is not their own
// contact.
func (it Item) Contact(owner jid.JID) (jid.JID, error) {
	j, err := jid.Parse(it.JID)
	if err != nil {
		return jid.JID{}, stanza.NewError(stanza.JIDMalformed, "invalid roster item jid")
	}
	if !j.IsBare() {
		return jid.JID{}, stanza.NewError(stanza.JIDMalformed, "roster item jid must be a bare JID")
	}
	if j == owner.Bare() {
		return jid.JID{}, stanza.NewError(stanza.NotAllowed, "cannot add yourself to your roster")
	}
	return j, nil
}

// Limits bound what a client may store in one roster item (RFC 6121
// §2.3.3: "a server-configured limit"). Zero fields mean no limit.
type Limits struct {
	MaxNameLen  int // characters of the 'name' attribute
	MaxGroupLen int // characters of one <group/>
	MaxGroups   int // <group/> elements in one item
}

// DefaultLimits are Parley's default item limits.
var DefaultLimits = Limits{MaxNameLen: 1024, MaxGroupLen: 1024, MaxGroups: 64}

// ParseGet reads a roster get (RFC 6121 §2.1.3, §2.6.2): the 'ver' the
// client cached, and whether it sent one at all (an empty ver asks to bootstrap
// versioning). A get carrying <item/> children is a bad-request.
func ParseGet(q *etree.Element) (ver string, hasVer bool, err error) {
	if err := checkQuery(q); err != nil {
		return "", false, err
	}
	if len(rosterChildren(q, "item")) > 0 {
		return "", false, stanza.NewError(stanza.BadRequest, "roster get must not contain items")
	}
	a := q.SelectAttr("ver")
	if a == nil || a.Space != "" {
		return "", false, nil
	}
	return a.Value, true, nil
}

// ParseSet reads a roster set (RFC 6121 §2.1.5, §2.3.3, §2.5.1). It returns
// the single item with Subscription "remove" or "" (any other value is
// ignored, §2.1.5 rule 2); 'ask' and 'approved' sent by a client are
// ignored (§2.1.2.1, §2.1.2.2). For a removal, name and groups are ignored.
// The JID is returned as written; the caller parses it.
//
// Errors (*stanza.Error): bad-request when the query has not exactly one item, the
// item has no 'jid', or two groups are equal under the PRECIS OpaqueString
// comparison; not-acceptable for an empty group, a name or group longer
// than the limits, or more groups than the limits allow.
func ParseSet(q *etree.Element, lim Limits) (Item, error) {
	if err := checkQuery(q); err != nil {
		return Item{}, err
	}
	items := rosterChildren(q, "item")
	if len(items) != 1 {
		return Item{}, stanza.NewError(stanza.BadRequest, "roster set must contain exactly one item")
	}
	el := items[0]
	it := Item{JID: attr(el, "jid")}
	if it.JID == "" {
		return Item{}, stanza.NewError(stanza.BadRequest, "roster item without jid")
	}
	if attr(el, "subscription") == SubscriptionRemove {
		it.Subscription = SubscriptionRemove
		return it, nil
	}
	it.Name = attr(el, "name")
	if lim.MaxNameLen > 0 && utf8.RuneCountInString(it.Name) > lim.MaxNameLen {
		return Item{}, stanza.NewError(stanza.NotAcceptable, "roster item name too long")
	}
	groups, err := parseGroups(el, lim)
	if err != nil {
		return Item{}, err
	}
	it.Groups = groups
	return it, nil
}

// parseGroups reads and validates the <group/> children (RFC 6121 §2.3.3).
func parseGroups(el *etree.Element, lim Limits) ([]string, error) {
	gs := rosterChildren(el, "group")
	if len(gs) == 0 {
		return nil, nil
	}
	if lim.MaxGroups > 0 && len(gs) > lim.MaxGroups {
		return nil, stanza.NewError(stanza.NotAcceptable, "too many groups in roster item")
	}
	out := make([]string, 0, len(gs))
	seen := make(map[string]struct{}, len(gs))
	for _, g := range gs {
		name := g.Text()
		switch {
		case name == "":
			return nil, stanza.NewError(stanza.NotAcceptable, "empty group name")
		case lim.MaxGroupLen > 0 && utf8.RuneCountInString(name) > lim.MaxGroupLen:
			return nil, stanza.NewError(stanza.NotAcceptable, "group name too long")
		}
		key := groupKey(name)
		if _, dup := seen[key]; dup {
			return nil, stanza.NewError(stanza.BadRequest, "duplicate group")
		}
		seen[key] = struct{}{}
		out = append(out, name)
	}
	return out, nil
}

// groupKey is the comparison form of a group name: PRECIS OpaqueString, the
// method RFC 6121 §2.3.3 suggests (that of resourceparts, RFC 7622 §3.4).
// A name the profile rejects is compared as is.
func groupKey(name string) string {
	if k, err := precis.OpaqueString.String(name); err == nil {
		return k
	}
	return "\x00" + name
}

// checkQuery verifies that q is a <query xmlns='jabber:iq:roster'/>.
func checkQuery(q *etree.Element) error {
	if q == nil || q.Tag != "query" || q.NamespaceURI() != NS {
		return stanza.NewError(stanza.BadRequest, "not a jabber:iq:roster query")
	}
	return nil
}

// rosterChildren returns the child elements of el named tag in the roster
// namespace; children of other namespaces are extensions and are skipped.
func rosterChildren(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.Space == "" && c.NamespaceURI() == NS {
			out = append(out, c)
		}
	}
	return out
}

// attr returns the value of the unprefixed attribute key, "" if absent.
func attr(el *etree.Element, key string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value
		}
	}
	return ""
}

// Element builds the <item/> for a roster result or push (RFC 6121
// §2.1.2). The subscription is always written ("none" when empty); a
// removal carries only jid and subscription='remove' (§2.5.2).
func (it Item) Element() *etree.Element {
	el := etree.NewElement("item")
	el.CreateAttr("jid", it.JID)
	if it.Remove() {
		el.CreateAttr("subscription", SubscriptionRemove)
		return el
	}
	if it.Name != "" {
		el.CreateAttr("name", it.Name)
	}
	sub := it.Subscription
	if sub == "" {
		sub = SubscriptionNone
	}
	el.CreateAttr("subscription", sub)
	if it.Ask {
		el.CreateAttr("ask", "subscribe")
	}
	if it.Approved {
		el.CreateAttr("approved", "true")
	}
	for _, g := range it.Groups {
		el.CreateElement("group").SetText(g)
	}
	return el
}

// Query builds <query xmlns='jabber:iq:roster' ver='...'> holding items,
// the payload of a roster result (RFC 6121 §2.1.4). ver "" omits the
// attribute.
func Query(ver string, items []Item) *etree.Element {
	q := etree.NewElement("query")
	q.CreateAttr("xmlns", NS)
	if ver != "" {
		q.CreateAttr("ver", ver)
	}
	for _, it := range items {
		q.AddChild(it.Element())
	}
	return q
}

// Push builds the payload of a roster push: a query holding exactly one
// item, with the roster version (RFC 6121 §2.1.6, §2.6.3).
func Push(ver string, it Item) *etree.Element {
	return Query(ver, []Item{it})
}

// FormatVer renders a storage roster version as a 'ver' attribute value.
func FormatVer(v int64) string { return strconv.FormatInt(v, 10) }

// ParseVer reads a 'ver' value this server issued. ok is false for
// anything else (another server's opaque string, "", a negative number):
// the caller then sends the full roster (RFC 6121 §2.6.3).
func ParseVer(s string) (v int64, ok bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || FormatVer(v) != s {
		return 0, false
	}
	return v, true
}
