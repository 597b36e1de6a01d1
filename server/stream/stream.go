// Package stream reads and writes the XML streams of RFC 6120 §4.
//
// A Decoder reads the stream header (the wrapper start tag: <stream:stream>
// over TCP, the httpbind <body> of BOSH) and then one complete first-level
// child element at a time, as an *etree.Element normalised for the rest of
// the server:
//
//   - element names carry no namespace prefix; an element has an xmlns
//     attribute exactly where its namespace differs from its parent's;
//   - a first-level element in one of Options.ContentNamespaces has no xmlns
//     attribute (its namespace, jabber:client, is implied); other
//     first-level elements carry theirs;
//   - attributes keep the xml: prefix; an attribute in another namespace
//     keeps its prefix, declared on the element that carries it.
//
// The decoder enforces the restricted XML of RFC 6120 §11 and a maximum
// size per element, reporting violations as *Error stream errors.
package stream

import (
	"encoding/xml"
	"strings"
)

// Namespaces used by streams.
const (
	// NSStream is the stream namespace (RFC 6120 §4.8.1).
	NSStream = "http://etherx.jabber.org/streams"
	// NSStreamErrors qualifies stream error conditions (RFC 6120 §4.9.2).
	NSStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams"
	// NSBOSH is the namespace of the BOSH <body/> wrapper (XEP-0124 §4).
	NSBOSH = "http://jabber.org/protocol/httpbind"
	// NSXBOSH qualifies the XMPP attributes of <body/>, such as
	// xmpp:restart and xmpp:version (XEP-0206 §3).
	NSXBOSH = "urn:xmpp:xbosh"
	// NSXML is the namespace bound to the xml: prefix; Header.Attrs report
	// xml:lang in it.
	NSXML = "http://www.w3.org/XML/1998/namespace"
	// NSXMPPErrors qualifies application-specific error conditions such as
	// <stanza-too-big/> (XEP-0205 §7).
	NSXMPPErrors = "urn:xmpp:errors"
	// NSClient is the content namespace of client-to-server streams
	// (RFC 6120 §4.8.3).
	NSClient = "jabber:client"
)

// DefaultMaxStanzaSize is the size limit of one first-level element when
// Options.MaxStanzaSize is zero.
const DefaultMaxStanzaSize = 256 << 10

// Options parameterise a Decoder.
type Options struct {
	// Wrapper is the name of the stream's root element:
	// {NSStream, "stream"} for TCP, {NSBOSH, "body"} for BOSH.
	Wrapper xml.Name
	// ContentNamespaces are the namespaces whose first-level elements lose
	// their xmlns attribute (TCP: jabber:client; BOSH: jabber:client and
	// NSBOSH). A default namespace declared on the wrapper must be one of
	// them (RFC 6120 §4.8.2), unless the list is empty.
	ContentNamespaces []string
	// MaxStanzaSize is the maximum number of bytes of one first-level
	// element, and of the stream header; 0 means DefaultMaxStanzaSize.
	// Exceeding it is a policy-violation stream error (RFC 6120 §4.9.3.14).
	MaxStanzaSize int
	// Document marks input that is one whole XML document, such as a BOSH
	// request body: end of input before the wrapper is closed is then a
	// not-well-formed stream error instead of io.ErrUnexpectedEOF. It is
	// implied when Wrapper is in NSBOSH.
	Document bool
}

// TCPOptions returns the options of a client-to-server TCP stream.
func TCPOptions(maxStanzaSize int) Options {
	return Options{
		Wrapper:           xml.Name{Space: NSStream, Local: "stream"},
		ContentNamespaces: []string{NSClient},
		MaxStanzaSize:     maxStanzaSize,
	}
}

// BOSHOptions returns the options of a BOSH request body (XEP-0124,
// XEP-0206).
func BOSHOptions(maxStanzaSize int) Options {
	return Options{
		Wrapper:           xml.Name{Space: NSBOSH, Local: "body"},
		ContentNamespaces: []string{NSClient, NSBOSH},
		MaxStanzaSize:     maxStanzaSize,
		Document:          true,
	}
}

// Header is the wrapper start tag of a stream.
type Header struct {
	// Name is the resolved name of the wrapper, equal to Options.Wrapper.
	Name xml.Name
	// Attrs are the attributes of the start tag in document order, with
	// Name.Space resolved to the namespace URI: xml:lang has Space NSXML,
	// a BOSH xmpp:restart has Space NSXBOSH whatever its prefix. Namespace
	// declarations follow encoding/xml's convention: the default namespace
	// is {Space: "", Local: "xmlns"}, a prefix p is {Space: "xmlns",
	// Local: p}.
	Attrs []xml.Attr
}

// Attr returns the value of the attribute with the given namespace URI and
// local name, or "" if it is absent. Attr("", "xmlns") is the declared
// default namespace.
func (h Header) Attr(space, local string) string {
	for _, a := range h.Attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// Lang returns the xml:lang of the header, "" if absent.
func (h Header) Lang() string { return h.Attr(NSXML, "lang") }

// isSpace reports whether b is XML white space (XML 1.0 §2.3 S).
func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}

// isWhitespace reports whether s consists of XML white space only.
func isWhitespace(s string) bool {
	return strings.TrimLeft(s, " \t\r\n") == ""
}
