package im

import (
	"context"
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/internal/testserver"
	"github.com/parley-xmpp/parley/storage"
)

// TestConfiguredLimits checks that the [im] limits of the configuration
// reach the modules: the roster is full at im.roster_max_items
// (<not-allowed/>, RFC 6121 §2.3.3), offline storage bounces past
// im.offline_max_messages (XEP-0160 §5) and a vCard over
// im.vcard_max_bytes is refused (XEP-0054).
func TestConfiguredLimits(t *testing.T) {
	t.Parallel()
	s := start(t, testserver.Configure(func(cfg *config.Config) {
		cfg.IM = config.IM{RosterMaxItems: 1, OfflineMaxMessages: 1, VCardMaxBytes: 100}
	}))
	s.user("juliet")
	s.user("romeo")
	_, _, err := s.Store().UpdateRosterItem(context.Background(), "localhost", "romeo", "nurse@localhost",
		func(*storage.RosterItem) (*storage.RosterItem, error) {
			return &storage.RosterItem{Contact: "nurse@localhost", Subscription: storage.SubNone}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	r := s.online("romeo", "orchard")

	r.send(`<iq type='set' id='add'><query xmlns='jabber:iq:roster'><item jid='juliet@localhost'/></query></iq>`)
	r.expect(`id="add"|type="error"|<not-allowed`)

	r.send(`<message to='juliet@localhost' type='chat' id='m1'><body>one</body></message>`)
	r.send(`<message to='juliet@localhost' type='chat' id='m2'><body>two</body></message>`)
	r.expect(`id="m2"|type="error"|<error type="cancel"><service-unavailable`)

	r.send(`<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Romeo</FN></vCard></iq>`)
	r.expect(`id="v1"|type="result"`)
	r.send(`<iq type='set' id='v2'><vCard xmlns='vcard-temp'><FN>` + strings.Repeat("R", 100) + `</FN></vCard></iq>`)
	r.expect(`id="v2"|type="error"|<not-acceptable`)
	r.quiet()
}
