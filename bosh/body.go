package bosh

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/stream"
)

// Binding conditions of XEP-0124 §17.2 (the only values 'condition' takes).
const (
	condBadRequest         = "bad-request"
	condHostGone           = "host-gone"
	condHostUnknown        = "host-unknown"
	condImproperAddressing = "improper-addressing"
	condInternalError      = "internal-server-error"
	condItemNotFound       = "item-not-found"
	condOtherRequest       = "other-request"
	condPolicyViolation    = "policy-violation"
	condRemoteConnFailed   = "remote-connection-failed"
	condRemoteStreamError  = "remote-stream-error"
	condSeeOtherURI        = "see-other-uri"
	condSystemShutdown     = "system-shutdown"
	condUndefined          = "undefined-condition"
)

// maxRequestedHold is the largest 'hold' a creation request may ask for
// (bosh-requirements B-045).
const maxRequestedHold = 10

// errBadBody marks a request body whose payloads could not be parsed.
var errBadBody = errors.New("bosh: bad request body")

// reqBody is a parsed request <body/> (XEP-0124 §6).
type reqBody struct {
	h        stream.Header
	children []*etree.Element
}

// attr returns the unqualified attribute local.
func (b *reqBody) attr(local string) string { return b.h.Attr("", local) }

// has reports whether the unqualified attribute local is present.
func (b *reqBody) has(local string) bool {
	for _, a := range b.h.Attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return true
		}
	}
	return false
}

// xattr returns the attribute local in the urn:xmpp:xbosh namespace,
// whatever prefix the client bound to it (XEP-0206 §5, B-225).
func (b *reqBody) xattr(local string) string { return b.h.Attr(nsXBOSH, local) }

// isTerminate reports a type='terminate' request (XEP-0124 §13).
func (b *reqBody) isTerminate() bool { return b.attr("type") == "terminate" }

// isRestart reports xmpp:restart set to an xs:boolean true (B-226).
func (b *reqBody) isRestart() bool {
	v := strings.TrimSpace(b.xattr("restart"))
	return v == "true" || v == "1"
}

// pause returns the requested pause in seconds, if any (XEP-0124 §10).
func (b *reqBody) pause() (int, bool) {
	if !b.has("pause") {
		return 0, false
	}
	n, err := parseUint(b.attr("pause"))
	if err != nil || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// parseBody decodes a request body. A nil body means the <body/> start tag
// itself was unusable; a non-nil body with an error means its payloads were.
// XEP-0124 §6; RFC 6120 §11.1 restricted XML.
func parseBody(raw []byte) (*reqBody, error) {
	if b, ok := parseEmptyBody(raw); ok {
		return b, nil
	}
	return parseFullBody(raw)
}

// parseFullBody is parseBody through the stream decoder.
func parseFullBody(raw []byte) (*reqBody, error) {
	d := newBodyDecoder(raw, len(raw))
	h, err := d.Header()
	if err != nil {
		return nil, err
	}
	b := &reqBody{h: h}
	for {
		el, err := d.Next()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, errBadBody
		}
		b.children = append(b.children, el)
	}
}

// newBodyDecoder reads one request body with the stream decoder the TCP
// transport uses, parameterised by the httpbind wrapper; a UTF-8 byte order
// mark is skipped (B-200).
func newBodyDecoder(raw []byte, max int) *stream.Decoder {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	return stream.NewDecoder(bytes.NewReader(raw), stream.BOSHOptions(max+1))
}

// parseUint parses a non-negative decimal integer strictly: digits only,
// as an unsigned 64-bit value, never through a float (B-068).
func parseUint(s string) (uint64, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseRID parses a 'rid': a positive integer (XEP-0124 §14.1, B-068).
func parseRID(s string) (uint64, bool) {
	n, err := parseUint(s)
	return n, err == nil && n > 0
}

// attr is one attribute of a response <body/>.
type attr struct{ name, value string }

// response is an HTTP answer to one BOSH request.
type response struct {
	status  int    // HTTP status; 200 unless legacy (XEP-0124 §17.1)
	body    []byte // serialised <body/>; empty for legacy errors
	els     []*etree.Element
	payload bool // carries child elements
	noZip   bool // never compress (SASL, B-253)
	cache   bool // may be stored for a repeated rid (XEP-0124 §14.3)
	final   bool // terminal binding condition
}

// writeAttrValue escapes v for a single-quoted attribute.
func writeAttrValue(buf *bytes.Buffer, v string) {
	for _, r := range v {
		switch r {
		case '&':
			buf.WriteString("&amp;")
		case '<':
			buf.WriteString("&lt;")
		case '>':
			buf.WriteString("&gt;")
		case '\'':
			buf.WriteString("&apos;")
		case '"':
			buf.WriteString("&quot;")
		default:
			buf.WriteRune(r)
		}
	}
}

// writeSettings serialise payloads compactly with single-quoted attributes.
var writeSettings = etree.WriteSettings{AttrSingleQuote: true}

// serialize writes el; a top-level stanza without its own xmlns gets
// xmlns='jabber:client' (XEP-0206 §2, B-208), spliced in without touching
// the shared element.
func serialize(buf *bytes.Buffer, el *etree.Element) {
	start := buf.Len()
	el.WriteTo(buf, &writeSettings)
	if el.Space != "" || el.SelectAttr("xmlns") != nil {
		return
	}
	at := start + 1 + len(el.Tag)
	tail := append([]byte(nil), buf.Bytes()[at:]...)
	buf.Truncate(at)
	buf.WriteString(" xmlns='jabber:client'")
	buf.Write(tail)
}

// buildBody serialises <body/> with attrs and already serialised children
// (XEP-0124 §6): one element, no character data, no XML declaration.
func buildBody(attrs []attr, children []byte, nsStreamDecl bool) []byte {
	var buf bytes.Buffer
	buf.Grow(160 + len(children))
	buf.WriteString("<body xmlns='" + nsBOSH + "'")
	xmpp := false
	for _, a := range attrs {
		if strings.HasPrefix(a.name, "xmpp:") {
			xmpp = true
		}
	}
	if xmpp {
		buf.WriteString(" xmlns:xmpp='" + nsXBOSH + "'")
	}
	if nsStreamDecl {
		buf.WriteString(" xmlns:stream='" + nsStream + "'")
	}
	for _, a := range attrs {
		buf.WriteByte(' ')
		buf.WriteString(a.name)
		buf.WriteString("='")
		writeAttrValue(&buf, a.value)
		buf.WriteByte('\'')
	}
	if len(children) == 0 {
		buf.WriteString("/>")
		return buf.Bytes()
	}
	buf.WriteByte('>')
	buf.Write(children)
	buf.WriteString("</body>")
	return buf.Bytes()
}

// newResponse builds a 200 response carrying els.
func newResponse(attrs []attr, els []*etree.Element) *response {
	var kids bytes.Buffer
	streamNS, noZip := false, false
	for _, el := range els {
		if el.Space == "stream" {
			streamNS = true
		}
		if el.NamespaceURI() == nsSASL {
			noZip = true
		}
		serialize(&kids, el)
	}
	return &response{
		status:  200,
		body:    buildBody(attrs, kids.Bytes(), streamNS),
		els:     els,
		payload: len(els) > 0,
		noZip:   noZip,
	}
}

// legacyStatus maps binding conditions to the deprecated HTTP codes of
// XEP-0124 §17.1 for clients that sent no 'ver' (B-187).
var legacyStatus = map[string]int{
	condBadRequest:      400,
	condPolicyViolation: 403,
	condItemNotFound:    404,
}

// termResponse is <body type='terminate' condition=cond/> (XEP-0124 §17.2),
// or the legacy HTTP error code.
func termResponse(cond string, legacy bool) *response {
	if code, ok := legacyStatus[cond]; ok && legacy {
		return &response{status: code, final: true}
	}
	attrs := []attr{{"type", "terminate"}}
	if cond != "" {
		attrs = append(attrs, attr{"condition", cond})
	}
	r := newResponse(attrs, nil)
	r.final = true
	return r
}

// emptyResponse is <body/> with optional attributes.
func emptyResponse(attrs ...attr) *response { return newResponse(attrs, nil) }
