package roster

import (
	"reflect"
	"testing"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server/stanza"
)

// FuzzParseSet feeds arbitrary documents to ParseSet and checks that an
// accepted item survives building and parsing again.
func FuzzParseSet(f *testing.F) {
	f.Add(`<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group></item></query>`)
	f.Add(`<query xmlns='jabber:iq:roster'><item jid='a@b' subscription='remove'/></query>`)
	f.Add(`<query xmlns='jabber:iq:roster'><item jid='a@b'><group>x</group><group>x</group></item></query>`)
	f.Add(`<query xmlns='jabber:iq:roster' ver=''><item jid='a@b' name=''><group></group></item></query>`)
	f.Fuzz(func(t *testing.T, s string) {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(s); err != nil || doc.Root() == nil {
			return
		}
		_, _, _ = ParseGet(doc.Root())
		it, err := ParseSet(doc.Root(), DefaultLimits)
		if err != nil {
			if _, ok := err.(*stanza.Error); !ok {
				t.Fatalf("untyped error %T %v", err, err)
			}
			return
		}
		if it.JID == "" {
			t.Fatal("accepted an item without jid")
		}
		// Element-level round trip; serialisation is the stream writer's job.
		it2, err := ParseSet(Push("1", it), DefaultLimits)
		if err != nil || !reflect.DeepEqual(it, it2) {
			t.Fatalf("round trip: %+v, %v; want %+v", it2, err, it)
		}
		again := etree.NewDocument()
		again.SetRoot(Push("1", it))
		out, err := again.WriteToString()
		if err != nil {
			t.Fatal(err)
		}
		if err := etree.NewDocument().ReadFromString(out); err != nil {
			t.Fatalf("built invalid XML %q: %v", out, err)
		}
	})
}

func BenchmarkParseSet(b *testing.B) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse'><group>Servants</group><group>Friends</group></item></query>`); err != nil {
		b.Fatal(err)
	}
	q := doc.Root()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSet(q, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQuery100(b *testing.B) {
	items := make([]Item, 100)
	for i := range items {
		items[i] = Item{JID: "contact@example.com", Name: "Contact", Subscription: "both", Groups: []string{"Friends"}}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Query("42", items)
	}
}

func BenchmarkInbound(b *testing.B) {
	s := State{Sub: NonePendingOut, InRoster: true}
	for b.Loop() {
		_ = Inbound(s, Subscribed)
	}
}
