package bosh

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// emptyBodySeeds are request bodies the fast path should accept or hand
// to the full decoder.
var emptyBodySeeds = []string{
	"<body rid='1' sid='abc' xmlns='http://jabber.org/protocol/httpbind'/>",
	`<body rid="2" sid="abc" xmlns="http://jabber.org/protocol/httpbind" />`,
	"<body rid='3' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='true' xml:lang='en' to='localhost'/>",
	"<body rid='4' xmlns='http://jabber.org/protocol/httpbind' x:restart='true' xmlns:x='urn:xmpp:xbosh'/>",
	"<body rid='5' xmlns='http://jabber.org/protocol/httpbind' y:a='1'/>",
	"<body rid='6' rid='6' xmlns='http://jabber.org/protocol/httpbind'/>",
	"<body rid='7' xmlns='urn:other'/>",
	"<body rid='8'/>",
	"<body rid='9' xmlns='http://jabber.org/protocol/httpbind'/>  \n",
	"<body rid='10' xmlns='http://jabber.org/protocol/httpbind'/><x/>",
	"<body rid='11' xmlns='http://jabber.org/protocol/httpbind' key='&amp;'/>",
	"<body rid='12' xmlns='http://jabber.org/protocol/httpbind'><message/></body>",
	"<body rid='13' xmlns='http://jabber.org/protocol/httpbind' xmlns:='x'/>",
	"<body rid='14'xmlns='http://jabber.org/protocol/httpbind'/>",
	"<body\trid='15'\nxmlns='http://jabber.org/protocol/httpbind'\r/>",
	"<body rid='16' xmlns='http://jabber.org/protocol/httpbind' xmlns:xml='http://www.w3.org/XML/1998/namespace'/>",
	"<body rid='17' xmlns='http://jabber.org/protocol/httpbind' type='terminate' pause='10' ack='3'/>",
	"<body rid='18' xmlns='http://jabber.org/protocol/httpbind' a.b-c='1' _x='2'/>",
}

// TestEmptyBodyFastPath checks the fast path against the full decoder on
// the seeds, and that it really takes the common shapes.
func TestEmptyBodyFastPath(t *testing.T) {
	for _, s := range emptyBodySeeds {
		checkEmptyBody(t, []byte(s))
	}
	for _, s := range emptyBodySeeds[:4] {
		if _, ok := parseEmptyBody([]byte(s)); !ok {
			t.Errorf("fast path refused %q", s)
		}
	}
}

// FuzzEmptyBody: whatever the fast path accepts, the full decoder parses
// to the same header with no children and no error.
func FuzzEmptyBody(f *testing.F) {
	for _, s := range emptyBodySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkEmptyBody(t, raw) })
}

func checkEmptyBody(t *testing.T, raw []byte) {
	t.Helper()
	fast, ok := parseEmptyBody(raw)
	if !ok {
		return
	}
	full, err := parseFullBody(raw)
	if err != nil || full == nil {
		t.Fatalf("%q: fast path accepted, decoder said %v", raw, err)
	}
	if !reflect.DeepEqual(fast.h, full.h) {
		t.Fatalf("%q:\nfast %#v\nfull %#v", raw, fast.h, full.h)
	}
	if f, d := dumpElements(fast.children), dumpElements(full.children); f != d {
		t.Fatalf("%q:\nfast %s\nfull %s", raw, f, d)
	}
}

// dumpElements writes elements with every detail the decoder sets: names,
// namespaces, attributes in order, character data, nesting.
func dumpElements(els []*etree.Element) string {
	var b strings.Builder
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		fmt.Fprintf(&b, "<%q:%q", el.Space, el.Tag)
		for _, a := range el.Attr {
			fmt.Fprintf(&b, " %q:%q=%q", a.Space, a.Key, a.Value)
		}
		b.WriteString(">")
		for _, c := range el.Child {
			switch c := c.(type) {
			case *etree.Element:
				walk(c)
			case *etree.CharData:
				fmt.Fprintf(&b, "[%q %v]", c.Data, c.IsWhitespace())
			default:
				fmt.Fprintf(&b, "{%T}", c)
			}
		}
		b.WriteString("</>")
	}
	for _, el := range els {
		walk(el)
	}
	return b.String()
}

// fastChildSeeds are bodies with payloads, plain and less so.
var fastChildSeeds = []string{
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' type='chat' to='a@b' id='m1'><body>hello &amp; &lt;bye&gt;</body></message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message to='a@b'><body>x</body><active xmlns='http://jabber.org/protocol/chatstates'/></message><presence/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'> <iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r1</resource></bind></iq>\n</body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1hbGljZSxyPTEyMzQ=</auth></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message xml:lang='en' to='a@b'><body xmlns='jabber:client'>ü € 😀</body></message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'><x xmlns='http://jabber.org/protocol/httpbind'/></message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message><x xmlns='jabber:client'><y/></x></message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client'> <body> a\tb\n </body> </message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message>]]></message></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'>text<message/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message a='1' a='2'/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message a='&#65;'/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><m></n></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><m a='x>y' b=\"q'r\"/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><m xmlns=''/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><stream:features/></body>",
	"<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message/></body > ",
}

// TestFastChildren: the seeds agree with the decoder, and the plain ones
// take the fast path.
func TestFastChildren(t *testing.T) {
	for _, s := range fastChildSeeds {
		checkEmptyBody(t, []byte(s))
	}
	for _, s := range fastChildSeeds[:8] {
		if _, ok := parseEmptyBody([]byte(s)); !ok {
			t.Errorf("fast path refused %q", s)
		}
	}
}

// FuzzFastChildren: whatever the fast path accepts, the decoder reads to
// the same elements.
func FuzzFastChildren(f *testing.F) {
	for _, s := range fastChildSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkEmptyBody(t, raw) })
}
