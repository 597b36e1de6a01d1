package vcard_test

import (
	"strings"
	"testing"

	"github.com/parley-xmpp/parley/test/im/imtest"
	"github.com/parley-xmpp/parley/vcard"
)

func TestVCard(t *testing.T) {
	core := imtest.Core(t, "juliet", "romeo")
	vcard.New(core, vcard.Options{MaxSize: 200}).Register()
	j := imtest.Login(t, core, "juliet", "balcony")
	r := imtest.Login(t, core, "romeo", "orchard")

	r.Send(`<iq type='get' id='v0' to='juliet@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	r.Expect(`id="v0"|type="result"|from="juliet@localhost"|<vCard xmlns="vcard-temp"/>`)
	j.Send(`<iq type='set' id='v1'><vCard xmlns='vcard-temp'><FN>Juliet Capulet</FN><NICKNAME>J</NICKNAME></vCard></iq>`)
	j.Expect(`id="v1"|type="result"`)
	r.Send(`<iq type='get' id='v2' to='juliet@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	r.Expect(`id="v2"|type="result"|<vCard xmlns="vcard-temp"><FN>Juliet Capulet</FN><NICKNAME>J</NICKNAME></vCard>`)
	j.Send(`<iq type='get' id='v3'><vCard xmlns='vcard-temp'/></iq>`)
	j.Expect(`id="v3"|<FN>Juliet Capulet</FN>`)

	r.Send(`<iq type='set' id='v4' to='juliet@localhost'><vCard xmlns='vcard-temp'><FN>Evil</FN></vCard></iq>`)
	r.Expect(`id="v4"|type="error"|<forbidden`)
	j.Send(`<iq type='set' id='v5'><vCard xmlns='vcard-temp'><DESC>` + strings.Repeat("x", 300) + `</DESC></vCard></iq>`)
	j.Expect(`id="v5"|type="error"|<not-acceptable`)
	r.Send(`<iq type='get' id='v6' to='nobody@localhost'><vCard xmlns='vcard-temp'/></iq>`)
	r.Expect(`id="v6"|type="error"|<service-unavailable`)

	j.Send(`<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	j.Expect(`<feature var="vcard-temp"/>`)
}

func TestPrivateXML(t *testing.T) {
	core := imtest.Core(t, "juliet", "romeo")
	vcard.New(core, vcard.Options{}).Register()
	j := imtest.Login(t, core, "juliet", "balcony")
	r := imtest.Login(t, core, "romeo", "orchard")

	j.Send(`<iq type='get' id='p0'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	j.Expect(`id="p0"|type="result"|<query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"/></query>`)
	j.Send(`<iq type='set' id='p1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='c@muc.localhost' autojoin='true'/></storage></query></iq>`)
	j.Expect(`id="p1"|type="result"`)
	j.Send(`<iq type='get' id='p2'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	j.Expect(`id="p2"|<storage xmlns="storage:bookmarks"><conference jid="c@muc.localhost" autojoin="true"/></storage>`)

	for _, tc := range []struct{ x, want string }{
		{`<iq type='get' id='e1'><query xmlns='jabber:iq:private'/></iq>`, "<bad-request"},
		{`<iq type='set' id='e2'><query xmlns='jabber:iq:private'><vCard xmlns='vcard-temp'/></query></iq>`, "<not-acceptable"},
		{`<iq type='get' id='e3'><query xmlns='jabber:iq:private'><query xmlns='jabber:iq:roster'/></query></iq>`, "<not-acceptable"},
	} {
		j.Send(tc.x)
		j.Expect(`type="error"|` + tc.want)
	}
	r.Send(`<iq type='get' id='e4' to='juliet@localhost'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	r.Expect(`id="e4"|type="error"|<forbidden`)
}
