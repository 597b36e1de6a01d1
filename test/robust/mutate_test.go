package robust

import (
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// seedStanzas are valid inputs the mutations start from.
var seedStanzas = []string{
	`<message to='alice@localhost/r' type='chat' id='m1'><body>hi</body><thread>t</thread></message>`,
	`<presence><show>away</show><status>out</status><priority>5</priority></presence>`,
	`<presence to='bob@localhost' type='subscribe'/>`,
	`<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`,
	`<iq type='set' id='r2'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'><group>G</group></item></query></iq>`,
	`<iq type='get' to='localhost' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
	`<iq type='get' id='v1'><vCard xmlns='vcard-temp'/></iq>`,
	`<iq type='set' id='v2'><vCard xmlns='vcard-temp'><FN>A</FN></vCard></iq>`,
	`<iq type='get' id='p1'><query xmlns='jabber:iq:private'><x xmlns='urn:example'/></query></iq>`,
	`<iq type='get' to='localhost' id='t1'><time xmlns='urn:xmpp:time'/></iq>`,
	`<message to='bob@localhost' id='o1'><body>offline</body></message>`,
}

// mutate changes a few bytes of s: replaced, deleted, duplicated or
// swapped with XML-significant characters.
func mutate(r *rand.Rand, s string) string {
	b := []byte(s)
	const special = `<>/='"&;: @x`
	for range 1 + r.IntN(3) {
		if len(b) == 0 {
			break
		}
		i := r.IntN(len(b))
		switch r.IntN(4) {
		case 0:
			b[i] = special[r.IntN(len(special))]
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i+1], b[i:]...)
		default:
			j := r.IntN(len(b))
			b[i], b[j] = b[j], b[i]
		}
	}
	return string(b)
}

// TestMutatedStanzas sends randomly mutated stanzas after login, each
// followed by a ping and the stream's end: whatever the server makes of
// them, the stream must end cleanly (no hang), and the server must neither
// panic nor stop serving.
func TestMutatedStanzas(t *testing.T) {
	s := start(t)
	s.AddUser(t, "alice", "secret")
	s.AddUser(t, "bob", "secret")
	r := rand.New(rand.NewPCG(1, 2))
	n := 300
	if testing.Short() {
		n = 50
	}
	for i := range n {
		in := mutate(r, seedStanzas[i%len(seedStanzas)])
		cl := s.login("alice", "secret")
		cl.send(in + `<iq type='get' to='localhost' id='ping'><ping xmlns='urn:xmpp:ping'/></iq></stream:stream>`)
		for {
			_, err := cl.nextErr()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("input %q: the stream did not end: %v", in, err)
			}
		}
		cl.c.Close()
	}
	s.login("bob", "secret").ping("after")
}
