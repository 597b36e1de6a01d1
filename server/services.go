package server

import (
	"context"
	"runtime"
	"time"

	"github.com/beevik/etree"
)

// Namespaces of the server's own IQ services.
const (
	NSDiscoInfo  = "http://jabber.org/protocol/disco#info"  // XEP-0030
	NSDiscoItems = "http://jabber.org/protocol/disco#items" // XEP-0030
	NSPing       = "urn:xmpp:ping"                          // XEP-0199
	NSVersion    = "jabber:iq:version"                      // XEP-0092
	NSTime       = "urn:xmpp:time"                          // XEP-0202
)

// RegisterServices registers the server's IQ services on the router:
// disco#info and disco#items for the server and for accounts, ping,
// entity time and, unless hidden by configuration, software version.
// The composition root calls it explicitly.
func (c *Core) RegisterServices() {
	r := c.router
	r.HandleIQ(IQServer, NSDiscoInfo, "query", c.discoInfo)
	r.HandleIQ(IQServer, NSDiscoItems, "query", discoItems)
	r.HandleIQ(IQAccount, NSDiscoInfo, "query", c.discoInfo)
	r.HandleIQ(IQAccount, NSDiscoItems, "query", discoItems)
	r.HandleIQ(IQServer, NSPing, "ping", Ping)
	r.HandleIQ(IQAccount, NSPing, "ping", Ping)
	r.HandleIQ(IQServer, NSTime, "time", EntityTime)
	if !c.opts.HideVersion {
		r.HandleIQ(IQServer, NSVersion, "query", c.softwareVersion)
	}
}

// discoInfo answers disco#info (XEP-0030 §3.1) with the features actually
// registered for the target. Nodes are not supported.
func (c *Core) discoInfo(_ context.Context, iq *IQ) (*etree.Element, error) {
	if iq.Type != "get" {
		return nil, errBadRequest()
	}
	if iq.Payload().SelectAttrValue("node", "") != "" {
		return nil, errItemNotFound()
	}
	q := etree.NewElement("query")
	q.CreateAttr("xmlns", NSDiscoInfo)
	id := q.CreateElement("identity")
	if iq.Target == IQServer {
		id.CreateAttr("category", "server")
		id.CreateAttr("type", "im")
		id.CreateAttr("name", "Parley")
	} else {
		id.CreateAttr("category", "account")
		id.CreateAttr("type", "registered")
	}
	for _, f := range c.router.Features(iq.Target) {
		q.CreateElement("feature").CreateAttr("var", f)
	}
	return q, nil
}

// discoItems answers disco#items (XEP-0030 §4): no items yet.
func discoItems(_ context.Context, iq *IQ) (*etree.Element, error) {
	if iq.Type != "get" {
		return nil, errBadRequest()
	}
	q := etree.NewElement("query")
	q.CreateAttr("xmlns", NSDiscoItems)
	if n := iq.Payload().SelectAttrValue("node", ""); n != "" {
		q.CreateAttr("node", n)
	}
	return q, nil
}

// Ping answers XEP-0199 §4 pings with an empty result.
func Ping(_ context.Context, iq *IQ) (*etree.Element, error) {
	if iq.Type != "get" {
		return nil, errBadRequest()
	}
	return nil, nil
}

// EntityTime answers XEP-0202 §4 in UTC.
func EntityTime(_ context.Context, iq *IQ) (*etree.Element, error) {
	if iq.Type != "get" {
		return nil, errBadRequest()
	}
	t := etree.NewElement("time")
	t.CreateAttr("xmlns", NSTime)
	t.CreateElement("tzo").SetText("+00:00")
	t.CreateElement("utc").SetText(time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	return t, nil
}

// softwareVersion answers XEP-0092 §3.
func (c *Core) softwareVersion(_ context.Context, iq *IQ) (*etree.Element, error) {
	if iq.Type != "get" {
		return nil, errBadRequest()
	}
	q := etree.NewElement("query")
	q.CreateAttr("xmlns", NSVersion)
	q.CreateElement("name").SetText("Parley")
	v := c.opts.Version
	if v == "" {
		v = "dev"
	}
	q.CreateElement("version").SetText(v)
	q.CreateElement("os").SetText(runtime.GOOS)
	return q, nil
}
