package bosh

import "github.com/parley-xmpp/parley/server/stream"

// Namespaces used by the binding.
const (
	nsStream = stream.NSStream
	nsBOSH   = stream.NSBOSH
	nsXBOSH  = stream.NSXBOSH
	nsXML    = stream.NSXML
	nsSASL   = "urn:ietf:params:xml:ns:xmpp-sasl" // RFC 6120 §6.4
)
