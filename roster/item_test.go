package roster

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
)

// parseEl parses one XML element.
func parseEl(t testing.TB, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return doc.Root()
}

// xmlString serialises el compactly.
func xmlString(el *etree.Element) string {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	s, _ := doc.WriteToString()
	return s
}

// wantCond fails unless err is an *Error with condition c.
func wantCond(t *testing.T, err error, c stanza.Condition) {
	t.Helper()
	var e *stanza.Error
	if !errors.As(err, &e) || e.Condition != c {
		t.Fatalf("error %v, want condition %s", err, c)
	}
	if !errors.Is(err, c) {
		t.Fatalf("errors.Is(%v, %s) = false", err, c)
	}
}

func TestParseGet(t *testing.T) {
	tests := []struct {
		name, xml string
		ver       string
		hasVer    bool
		cond      stanza.Condition
	}{
		{"RFC 6121 §2.1.3", `<query xmlns='jabber:iq:roster'/>`, "", false, ""},
		{"RFC 6121 §2.6.2", `<query xmlns='jabber:iq:roster' ver='ver14'/>`, "ver14", true, ""},
		{"bootstrap", `<query xmlns='jabber:iq:roster' ver=''/>`, "", true, ""},
		{"extension child", `<query xmlns='jabber:iq:roster'><x xmlns='urn:x'/></query>`, "", false, ""},
		{"foreign item", `<query xmlns='jabber:iq:roster'><item xmlns='urn:x' jid='a@b'/></query>`, "", false, ""},
		{"items in get", `<query xmlns='jabber:iq:roster'><item jid='a@b'/></query>`, "", false, stanza.BadRequest},
		{"wrong namespace", `<query xmlns='jabber:iq:private'/>`, "", false, stanza.BadRequest},
		{"wrong element", `<roster xmlns='jabber:iq:roster'/>`, "", false, stanza.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ver, has, err := ParseGet(parseEl(t, tt.xml))
			if tt.cond != "" {
				wantCond(t, err, tt.cond)
				return
			}
			if err != nil || ver != tt.ver || has != tt.hasVer {
				t.Fatalf("got %q %v %v, want %q %v", ver, has, err, tt.ver, tt.hasVer)
			}
		})
	}
	_, _, err := ParseGet(nil)
	wantCond(t, err, stanza.BadRequest)
}

func TestParseSet(t *testing.T) {
	long := strings.Repeat("é", 11)
	lim := Limits{MaxNameLen: 10, MaxGroupLen: 10, MaxGroups: 3}
	tests := []struct {
		name, xml string
		want      Item
		cond      stanza.Condition
	}{
		{"RFC 6121 §2.3.1", `<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group></item></query>`,
			Item{JID: "nurse@example.com", Name: "Nurse", Groups: []string{"Servants"}}, ""},
		{"RFC 6121 §2.4.1 two groups", `<query xmlns='jabber:iq:roster'><item jid='romeo@example.net' name='Romeo'><group>Friends</group><group>Lovers</group></item></query>`,
			Item{JID: "romeo@example.net", Name: "Romeo", Groups: []string{"Friends", "Lovers"}}, ""},
		{"RFC 6121 §2.4.1 empty name", `<query xmlns='jabber:iq:roster'><item jid='romeo@example.net' name=''/></query>`,
			Item{JID: "romeo@example.net"}, ""},
		{"RFC 6121 §2.5.1 remove", `<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' subscription='remove'><group></group></item></query>`,
			Item{JID: "nurse@example.com", Subscription: "remove"}, ""},
		{"§2.1.5 other subscription ignored", `<query xmlns='jabber:iq:roster'><item jid='a@b' subscription='both' ask='subscribe' approved='true'/></query>`,
			Item{JID: "a@b"}, ""},
		{"prefixed attributes ignored", `<query xmlns='jabber:iq:roster' xmlns:p='urn:p'><item jid='a@b' p:name='x' p:subscription='remove'/></query>`,
			Item{JID: "a@b"}, ""},
		{"foreign children skipped", `<query xmlns='jabber:iq:roster'><item xmlns='urn:x' jid='x@y'/><item jid='a@b'><group xmlns='urn:x'/></item></query>`,
			Item{JID: "a@b"}, ""},
		{"limits are characters", `<query xmlns='jabber:iq:roster'><item jid='a@b' name='éééééééééé'><group>éééééééééé</group></item></query>`,
			Item{JID: "a@b", Name: strings.Repeat("é", 10), Groups: []string{strings.Repeat("é", 10)}}, ""},
		{"§2.3.3 two items", `<query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/><item jid='mother@example.com'/></query>`, Item{}, stanza.BadRequest},
		{"no item", `<query xmlns='jabber:iq:roster'/>`, Item{}, stanza.BadRequest},
		{"no jid", `<query xmlns='jabber:iq:roster'><item name='x'/></query>`, Item{}, stanza.BadRequest},
		{"§2.3.3 duplicate groups", `<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group><group>Servants</group></item></query>`, Item{}, stanza.BadRequest},
		{"duplicate groups under PRECIS", "<query xmlns='jabber:iq:roster'><item jid='a@b'><group>Caf\u00e9</group><group>Cafe\u0301</group></item></query>", Item{}, stanza.BadRequest},
		{"§2.3.3 empty group", `<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group></group></item></query>`, Item{}, stanza.NotAcceptable},
		{"§2.3.3 oversized handle", `<query xmlns='jabber:iq:roster'><item jid='a@b' name='` + long + `'/></query>`, Item{}, stanza.NotAcceptable},
		{"§2.3.3 oversized group", `<query xmlns='jabber:iq:roster'><item jid='a@b'><group>` + long + `</group></item></query>`, Item{}, stanza.NotAcceptable},
		{"too many groups", `<query xmlns='jabber:iq:roster'><item jid='a@b'><group>1</group><group>2</group><group>3</group><group>4</group></item></query>`, Item{}, stanza.NotAcceptable},
		{"wrong namespace", `<query xmlns='jabber:iq:roster2'><item jid='a@b'/></query>`, Item{}, stanza.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSet(parseEl(t, tt.xml), lim)
			if tt.cond != "" {
				wantCond(t, err, tt.cond)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseSetNoLimits(t *testing.T) {
	big := strings.Repeat("x", 5000)
	q := Query("", []Item{{JID: "a@b", Name: big, Groups: []string{big}}})
	if _, err := ParseSet(q, Limits{}); err != nil {
		t.Fatalf("zero limits: %v", err)
	}
	if _, err := ParseSet(q, DefaultLimits); err == nil {
		t.Fatal("default limits accepted a 5000-character name")
	}
}

func TestContact(t *testing.T) {
	owner := jid.MustParse("juliet@example.com/balcony")
	tests := []struct {
		in, want string
		cond     stanza.Condition
	}{
		{"nurse@example.com", "nurse@example.com", ""},
		{"Nurse@Example.COM", "nurse@example.com", ""},
		{"example.org", "example.org", ""},
		{"nurse@example.com/res", "", stanza.JIDMalformed},
		{"@example.com", "", stanza.JIDMalformed},
		{"a@b@", "", stanza.JIDMalformed},
		{"juliet@example.com", "", stanza.NotAllowed},
		{"JULIET@example.com", "", stanza.NotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			j, err := Item{JID: tt.in}.Contact(owner)
			if tt.cond != "" {
				wantCond(t, err, tt.cond)
				return
			}
			if err != nil || j.String() != tt.want {
				t.Fatalf("got %v, %v; want %s", j, err, tt.want)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name string
		el   *etree.Element
		want string
	}{
		{"RFC 6121 §2.1.4 empty roster", Query("ver9", nil),
			`<query xmlns="jabber:iq:roster" ver="ver9"/>`},
		{"no ver", Query("", nil), `<query xmlns="jabber:iq:roster"/>`},
		{"RFC 6121 §2.2 result", Query("ver11", []Item{
			{JID: "romeo@example.net", Name: "Romeo", Subscription: "both", Groups: []string{"Friends"}},
			{JID: "mercutio@example.com", Name: "Mercutio", Subscription: "from"},
		}), `<query xmlns="jabber:iq:roster" ver="ver11"><item jid="romeo@example.net" name="Romeo" subscription="both"><group>Friends</group></item><item jid="mercutio@example.com" name="Mercutio" subscription="from"/></query>`},
		{"RFC 6121 §3.1.2 push", Push("", Item{JID: "juliet@example.com", Ask: true}),
			`<query xmlns="jabber:iq:roster"><item jid="juliet@example.com" subscription="none" ask="subscribe"/></query>`},
		{"RFC 6121 §3.4.2 push", Push("3", Item{JID: "juliet@example.com", Subscription: "none", Approved: true}),
			`<query xmlns="jabber:iq:roster" ver="3"><item jid="juliet@example.com" subscription="none" approved="true"/></query>`},
		{"RFC 6121 §2.6.3 remove push", Push("ver34", RemovedItem("tybalt@example.org")),
			`<query xmlns="jabber:iq:roster" ver="ver34"><item jid="tybalt@example.org" subscription="remove"/></query>`},
		{"escaping", Push("1", Item{JID: "a@b", Name: `<&'">`, Groups: []string{"a<b"}}),
			`<query xmlns="jabber:iq:roster" ver="1"><item jid="a@b" name="&lt;&amp;&apos;&quot;&gt;" subscription="none"><group>a&lt;b</group></item></query>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := xmlString(tt.el); got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
			if tt.el.NamespaceURI() != NS {
				t.Fatalf("namespace %q", tt.el.NamespaceURI())
			}
		})
	}
}

// TestRoundTrip checks that a pushed item parses back as the same set.
func TestRoundTrip(t *testing.T) {
	it := Item{JID: "nurse@example.com", Name: "Nurse <3", Groups: []string{"Servants", "Ünïcode"}}
	q := parseEl(t, xmlString(Push("7", it)))
	got, err := ParseSet(q, DefaultLimits)
	if err != nil || !reflect.DeepEqual(got, it) {
		t.Fatalf("got %+v, %v; want %+v", got, err, it)
	}
}

func TestVer(t *testing.T) {
	for _, v := range []int64{0, 1, 42, 1 << 62} {
		if got, ok := ParseVer(FormatVer(v)); !ok || got != v {
			t.Errorf("ParseVer(FormatVer(%d)) = %d, %v", v, got, ok)
		}
	}
	for _, s := range []string{"", "ver14", "-1", "01", "+1", " 1", "99999999999999999999"} {
		if _, ok := ParseVer(s); ok {
			t.Errorf("ParseVer(%q) accepted", s)
		}
	}
}
