package bosh

// Temporary stand-ins for the server and stream packages; replaced by
// aliases of the real types once those packages exist.

import (
	"crypto/tls"
	"encoding/xml"

	"github.com/beevik/etree"
)

const (
	nsStream       = "http://etherx.jabber.org/streams"
	nsStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams"
	nsBOSH         = "http://jabber.org/protocol/httpbind"
	nsXBOSH        = "urn:xmpp:xbosh"
	nsXML          = "http://www.w3.org/XML/1998/namespace"
)

// Step mirrors server.Step.
type Step int

// Steps mirror the server constants.
const (
	StepContinue Step = iota
	StepStartTLS
	StepRestart
	StepClose
)

// TransportInfo mirrors server.TransportInfo.
type TransportInfo struct {
	Kind        string
	RemoteAddr  string
	TLS         *tls.ConnectionState
	CanStartTLS bool
}

// Transport mirrors server.Transport.
type Transport interface {
	Notify()
	OpenStream(h ResponseHeader)
	Close(err *StreamError)
}

// StreamHeader mirrors stream.Header.
type StreamHeader struct {
	Name  xml.Name
	Attrs []xml.Attr
}

// Attr returns the attribute value or "".
func (h StreamHeader) Attr(space, local string) string {
	for _, a := range h.Attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// ResponseHeader mirrors stream.ResponseHeader.
type ResponseHeader struct{ ID, From, To, Lang, Version string }

// StreamError mirrors stream.Error.
type StreamError struct {
	Condition string
	Text      string
	Host      string
}

func (e *StreamError) Error() string { return e.Condition }

// Element mirrors stream.Error.Element.
func (e *StreamError) Element() *etree.Element {
	el := etree.NewElement("stream:error")
	el.CreateAttr("xmlns:stream", nsStream)
	c := el.CreateElement(e.Condition)
	c.CreateAttr("xmlns", nsStreamErrors)
	if e.Host != "" {
		c.SetText(e.Host)
	}
	return el
}
