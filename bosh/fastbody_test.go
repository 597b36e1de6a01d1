package bosh

import (
	"reflect"
	"testing"
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
	if len(full.children) != 0 {
		t.Fatalf("%q: decoder found children", raw)
	}
	if !reflect.DeepEqual(fast.h, full.h) {
		t.Fatalf("%q:\nfast %#v\nfull %#v", raw, fast.h, full.h)
	}
}
