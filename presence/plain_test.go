package presence

import (
	"testing"

	"github.com/beevik/etree"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stanza"
	"github.com/parley-xmpp/parley/server/stream"
)

// TestPlainPresence checks that a presence that is not kept is built
// again exactly as the kept one would have been restamped.
func TestPlainPresence(t *testing.T) {
	from := jid.MustParse("juliet@localhost/balcony")
	to := jid.MustParse("romeo@localhost")
	for _, tc := range []struct {
		x     string
		lang  string
		plain bool
	}{
		{`<presence from="juliet@localhost/balcony"/>`, "", true},
		{`<presence from="juliet@localhost/balcony" xml:lang="en"/>`, "en", true},
		{`<presence from="juliet@localhost/balcony" xml:lang="de"/>`, "en", false},
		{`<presence xml:lang="en" from="juliet@localhost/balcony"/>`, "en", false},
		{`<presence from="juliet@localhost/balcony" id="p1"/>`, "", false},
		{`<presence from="juliet@localhost/balcony"><priority>1</priority></presence>`, "", false},
		{`<presence from="juliet@localhost/balcony"> </presence>`, "", false},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(tc.x); err != nil {
			t.Fatal(err)
		}
		st, err := stanza.Parse(doc.Root())
		if err != nil {
			t.Fatal(err)
		}
		if got := plain(st, tc.lang); got != tc.plain {
			t.Errorf("plain(%s, %q) = %v, want %v", tc.x, tc.lang, got, tc.plain)
			continue
		}
		if !tc.plain {
			continue
		}
		for _, dst := range []jid.JID{to, {}} {
			want := st.Restamp(from, dst)
			got := plainPresence(from, dst, tc.lang)
			if a, b := stream.String(got.El), stream.String(want.El); a != b {
				t.Errorf("%s to %v: built %s, restamped %s", tc.x, dst, a, b)
			}
			if got.Kind != want.Kind || got.Type != want.Type || got.ID != want.ID || got.Lang != want.Lang ||
				got.From != want.From || got.To != want.To {
				t.Errorf("%s to %v: built %+v, restamped %+v", tc.x, dst, *got, *want)
			}
		}
	}
}

// TestBareUnavailable checks that the unavailable presence kept for
// probes is built again exactly as the kept one would have been
// restamped.
func TestBareUnavailable(t *testing.T) {
	full := jid.MustParse("juliet@localhost/balcony")
	st := stanza.NewPresence("unavailable", full, jid.JID{})
	if !plainUnavailable(st) {
		t.Fatalf("%s is not plain", stream.String(st.El))
	}
	st2 := stanza.NewPresence("unavailable", full, jid.JID{})
	st2.El.CreateElement("status").SetText("bye")
	if plainUnavailable(st2) || plainUnavailable(stanza.NewPresence("", full, jid.JID{})) {
		t.Fatal("not plain ones taken as plain")
	}
	owner := full.Bare()
	for _, to := range []jid.JID{jid.MustParse("romeo@localhost/orchard"), {}} {
		want, got := st.Restamp(owner, to), bareUnavailable(owner, to)
		if a, b := stream.String(got.El), stream.String(want.El); a != b {
			t.Errorf("to %v: built %s, restamped %s", to, a, b)
		}
		if got.Kind != want.Kind || got.Type != want.Type || got.ID != want.ID || got.Lang != want.Lang ||
			got.From != want.From || got.To != want.To {
			t.Errorf("to %v: built %+v, restamped %+v", to, *got, *want)
		}
	}
}
