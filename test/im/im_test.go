package im

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/storage"
)

// from and to are the attributes naming c's full JID.
func from(c *client) string { return `from="` + c.jid.String() + `"` }
func to(c *client) string   { return `to="` + c.jid.String() + `"` }

// transports are the ways the scenarios reach the server: every user
// over TCP, every user over BOSH, and the two mixed (juliet on TCP, the
// others on BOSH).
var transports = []struct {
	name string
	via  map[string]string
}{
	{"TCP", map[string]string{}},
	{"BOSH", map[string]string{"*": "bosh"}},
	{"Mixed", map[string]string{"*": "bosh", "juliet": "tcp"}},
}

// each runs scenario once per transport, on SQLite, in parallel.
func each(t *testing.T, scenario func(t *testing.T, s *srv)) {
	t.Parallel()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			s.via = tr.via
			scenario(t, s)
		})
	}
}

// TestSubscription runs the full RFC 6121 §3.1 handshake between two
// users, checking every roster push and presence stanza, then presence
// on logout and login; TestSubscriptionPostgres does it on PostgreSQL.
func TestSubscription(t *testing.T) { each(t, subscription) }

func TestSubscriptionPostgres(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	subscription(t, start(t, testserver.Postgres()))
}

func subscription(t *testing.T, s *srv) {
	s.user("juliet")
	s.user("romeo")
	j := s.online("juliet", "balcony")
	r := s.online("romeo", "orchard")

	r.send(`<presence to='juliet@localhost' type='subscribe'/>`)
	r.expect(`<iq|type="set"|jid="juliet@localhost"|subscription="none"|ask="subscribe"|ver="1"`)
	j.expect(`<presence|from="romeo@localhost"|type="subscribe"`)

	j.send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.expect(`<iq|type="set"|jid="romeo@localhost"|subscription="from"|ver="2"`)
	r.expect(`<iq|jid="juliet@localhost"|subscription="to"|ver="2"`,
		`<presence|from="juliet@localhost"|type="subscribed"`,
		`<presence|`+from(j)+`|to="romeo@localhost"`)

	j.send(`<presence to='romeo@localhost' type='subscribe'/>`)
	j.expect(`<iq|jid="romeo@localhost"|subscription="from"|ask="subscribe"|ver="3"`)
	r.expect(`<iq|jid="juliet@localhost"|subscription="to"|ver="3"`,
		`<presence|from="juliet@localhost"|type="subscribe"`)

	r.send(`<presence to='juliet@localhost' type='subscribed'/>`)
	r.expect(`<iq|jid="juliet@localhost"|subscription="both"|ver="4"`)
	j.expect(`<iq|jid="romeo@localhost"|subscription="both"|ver="4"`,
		`<presence|from="romeo@localhost"|type="subscribed"`,
		`<presence|`+from(r)+`|to="juliet@localhost"`)
	j.quiet()
	r.quiet()

	// Logout is seen by the other side; so is the next login, whose
	// probe is answered.
	r.close()
	j.expect(`<presence|` + from(r) + `|type="unavailable"`)
	r2 := s.online("romeo", "garden")
	r2.expect(`<presence|` + from(j) + `|` + to(r2) + ``)
	j.expect(`<presence|` + from(r2) + `|to="juliet@localhost"`)
	j.send(`<presence><show>away</show><status>at the window</status></presence>`)
	j.expect(`<show>away</show>`)
	r2.expect(`<presence|` + from(j) + `|<show>away</show>|at the window`)

	// Roster versioning: the current version gets an empty result.
	r2.send(`<iq type='get' id='v'><query xmlns='jabber:iq:roster' ver='4'/></iq>`)
	if out := r2.expect(`id="v"|type="result"`); regexp.MustCompile(`<query`).MatchString(out[0]) {
		t.Fatalf("current version answered with the roster: %s", out[0])
	}
}

// TestThreeResources checks that all resources of one user receive the
// presence of each other and of a contact.
func TestThreeResources(t *testing.T) { each(t, threeResources) }

func threeResources(t *testing.T, s *srv) {
	s.user("juliet")
	s.user("nurse")
	n := s.online("nurse", "kitchen")
	n.send(`<presence to='juliet@localhost' type='subscribe'/>`)
	n.expect(`<iq|ask="subscribe"`)
	a := s.online("juliet", "a")
	a.expect(`<presence|from="nurse@localhost"|type="subscribe"`)
	a.send(`<presence to='nurse@localhost' type='subscribed'/>`)
	a.expect(`<iq|subscription="from"`)
	n.expect(`<iq|subscription="to"`, `type="subscribed"`, `<presence|`+from(a)+``)

	b := s.online("juliet", "b")
	b.expect(`<presence|` + from(a) + `|` + to(b) + ``)
	a.expect(`<presence|` + from(b) + `|` + to(a) + ``)
	n.expect(`<presence|` + from(b) + ``)
	c := s.online("juliet", "c")
	c.expect(`<presence|`+from(a)+``, `<presence|`+from(b)+``)
	a.expect(`<presence|` + from(c) + ``)
	b.expect(`<presence|` + from(c) + ``)
	n.expect(`<presence|` + from(c) + ``)

	b.close()
	a.expect(`<presence|` + from(b) + `|type="unavailable"`)
	c.expect(`<presence|` + from(b) + `|type="unavailable"`)
	n.expect(`<presence|` + from(b) + `|type="unavailable"`)
}

// TestMessages exchanges messages both ways, to bare and full JIDs.
func TestMessages(t *testing.T) { each(t, messages) }

func messages(t *testing.T, s *srv) {
	s.user("juliet")
	s.user("romeo")
	j := s.online("juliet", "balcony")
	r := s.online("romeo", "orchard")
	r.send(`<message to='juliet@localhost' type='chat' id='m1'><body>But soft!</body></message>`)
	j.expect(`<message|id="m1"|` + from(r) + `|to="juliet@localhost"|<body>But soft!</body>`)
	j.send(`<message to='romeo@localhost/orchard' type='chat' id='m2'><body>Wherefore art thou?</body></message>`)
	r.expect(`<message|id="m2"|` + from(j) + `|<body>Wherefore art thou?</body>`)
	r.send(`<message to='nobody@localhost' id='m3'><body>?</body></message>`)
	r.expect(`<message|id="m3"|type="error"|<service-unavailable`)
}

// TestOfflineMessage checks XEP-0160: a message to an offline user is
// delivered with a XEP-0203 delay stamp after the next initial presence.
func TestOfflineMessage(t *testing.T) { each(t, offlineMessage) }

func offlineMessage(t *testing.T, s *srv) {
	s.user("juliet")
	s.user("romeo")
	r := s.online("romeo", "orchard")
	r.send(`<message to='juliet@localhost' type='chat' id='o1'><body>first</body></message>`)
	r.send(`<message to='juliet@localhost' type='chat' id='o2'><body>second</body></message>`)
	r.quiet()
	j := s.login("juliet", "balcony")
	j.send(`<presence/>`)
	j.expect(`<presence|`+from(j)+``,
		`<message|id="o1"|<body>first</body>|<delay xmlns="urn:xmpp:delay" from="localhost" stamp="`,
		`<message|id="o2"|<body>second</body>|<delay`)
	j.quiet()
	// Delivered messages are gone: the next login gets none.
	s.logout(j)
	j2 := s.login("juliet", "again")
	j2.send(`<presence/>`)
	j2.expect(`<presence|` + from(j2) + ``)
	j2.quiet()
}

// TestVCard sets a vCard and reads it as a contact.
func TestVCard(t *testing.T) { each(t, vCard) }

func vCard(t *testing.T, s *srv) {
	s.user("juliet")
	s.user("romeo")
	j := s.login("juliet", "balcony")
	r := s.login("romeo", "orchard")
	j.send(`<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Juliet Capulet</FN><NICKNAME>Jules</NICKNAME></vCard></iq>`)
	j.expect(`id="v1"|type="result"`)
	r.send(`<iq type='get' id='v2' to='juliet@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	r.expect(`id="v2"|type="result"|from="juliet@localhost"|<FN>Juliet Capulet</FN>|<NICKNAME>Jules</NICKNAME>`)
	r.send(`<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	r.expect(`id="d"|var="msgoffline"|var="vcard-temp"`)
}

// TestAdminRosterPush checks the live effect of `parley roster add`: the
// command line tool writes storage, then notifies the server over the
// admin socket, and the user's interested resources get the push.
func TestAdminRosterPush(t *testing.T) {
	t.Parallel()
	s := start(t)
	s.user("juliet")
	j := s.online("juliet", "balcony")
	_, _, err := s.Store().UpdateRosterItem(context.Background(), "localhost", "juliet", "romeo@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Name: "Romeo", Subscription: storage.SubBoth}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	s.admin(admin.Request{Op: "kick", JID: "juliet@localhost", Reason: "roster"})
	j.expect(`<iq|type="set"|jid="romeo@localhost"|name="Romeo"|subscription="both"|ver="1"`)
	j.quiet()
}

// TestBOSHTimeout checks that a BOSH client that just stops polling is
// seen going offline once its session times out (RFC 6121 §4.5.2).
func TestBOSHTimeout(t *testing.T) {
	t.Parallel()
	s := start(t, testserver.Configure(func(cfg *config.Config) { cfg.BOSH.MaxInactivity = config.Duration{Duration: time.Second} }))
	s.via["romeo"] = "bosh"
	s.user("juliet")
	s.user("romeo")
	r := s.online("romeo", "orchard")
	r.send(`<presence to='juliet@localhost' type='subscribe'/>`)
	r.expect(`<iq|ask="subscribe"`)
	j := s.online("juliet", "balcony")
	j.expect(`<presence|from="romeo@localhost"|type="subscribe"`)
	j.send(`<presence to='romeo@localhost' type='subscribed'/>`)
	j.expect(`<iq|subscription="from"`)
	r.expect(`<iq|subscription="to"`, `type="subscribed"`, `<presence|`+from(j))
	j.send(`<presence to='romeo@localhost' type='subscribe'/>`)
	j.expect(`<iq|ask="subscribe"`)
	r.expect(`<iq|subscription="to"`, `type="subscribe"`)
	r.send(`<presence to='juliet@localhost' type='subscribed'/>`)
	r.expect(`<iq|subscription="both"`)
	j.expect(`<iq|subscription="both"`, `type="subscribed"`, `<presence|`+from(r))

	s.vanish[r]()
	j.expect(`<presence|` + from(r) + `|type="unavailable"`)
}
