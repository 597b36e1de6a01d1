package main

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// link is one XMPP stream during negotiation, over TCP or BOSH.
type link interface {
	// send writes raw XML: top-level elements, each with its xmlns.
	send(raw string) error
	// recv returns the next top-level element from the server.
	recv() (*elem, error)
	// restart restarts the stream after SASL success (RFC 6120 §6.4.6,
	// XEP-0206 §5) and returns the new stream features.
	restart() (*elem, error)
}

// account is who logs in.
type account struct {
	user, domain, password, resource string
}

// streamErr turns a <stream:error/> into an error.
func streamErr(e *elem) error {
	return fmt.Errorf("stream error: %s", condition(e, "urn:ietf:params:xml:ns:xmpp-streams"))
}

// recvTop returns the next element, turning a stream error into an error.
func recvTop(l link) (*elem, error) {
	e, err := l.recv()
	if err != nil {
		return nil, err
	}
	if e.is(nsStream, "error") {
		return nil, streamErr(e)
	}
	return e, nil
}

// login authenticates with mech, restarts the stream, binds a resource and
// establishes the legacy session when the server requires it. features are
// the stream features offered before SASL. It returns the bound full JID.
func login(l link, features *elem, a account, mech string) (string, error) {
	if err := authenticate(l, features, a, mech); err != nil {
		return "", err
	}
	features, err := l.restart()
	if err != nil {
		return "", fmt.Errorf("restart after SASL: %w", err)
	}
	if features.child(nsBind, "bind") == nil {
		return "", fmt.Errorf("server offers no resource binding after SASL")
	}
	res, err := iq(l, "bind1", "<bind xmlns='"+nsBind+"'><resource>"+esc(a.resource)+"</resource></bind>")
	if err != nil {
		return "", fmt.Errorf("bind: %w", err)
	}
	full := ""
	if b := res.child(nsBind, "bind"); b != nil {
		if j := b.child(nsBind, "jid"); j != nil {
			full = strings.TrimSpace(j.Text)
		}
	}
	if full == "" {
		return "", fmt.Errorf("bind result without a JID")
	}
	// RFC 3921 §3 session establishment, only when not marked optional
	// (draft-cridland-xmpp-session-01).
	if s := features.child(nsSession, "session"); s != nil && s.child(nsSession, "optional") == nil {
		if _, err := iq(l, "sess1", "<session xmlns='"+nsSession+"'/>"); err != nil {
			return "", fmt.Errorf("session: %w", err)
		}
	}
	return full, nil
}

// authenticate runs the SASL exchange of RFC 6120 §6.4.
func authenticate(l link, features *elem, a account, mech string) error {
	mechs := features.child(nsSASL, "mechanisms")
	if mechs == nil {
		return fmt.Errorf("server offers no SASL mechanisms (features %v)", kidNames(features))
	}
	var offered []string
	for _, m := range mechs.Kids {
		offered = append(offered, strings.TrimSpace(m.Text))
	}
	if !contains(offered, mech) {
		return fmt.Errorf("server does not offer %s (offers %s)", mech, strings.Join(offered, " "))
	}
	c, err := newSASL(mech, a.user, a.password)
	if err != nil {
		return err
	}
	first, err := c.Start()
	if err != nil {
		return err
	}
	if err := l.send("<auth xmlns='" + nsSASL + "' mechanism='" + mech + "'>" + b64(first) + "</auth>"); err != nil {
		return err
	}
	for range 4 { // at most a few round trips for SCRAM
		e, err := recvTop(l)
		if err != nil {
			return err
		}
		data, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(e.Text))
		if derr != nil {
			return fmt.Errorf("SASL: bad base64 in %v", e)
		}
		switch {
		case e.is(nsSASL, "challenge"):
			resp, err := c.Next(data)
			if err != nil {
				return err
			}
			if err := l.send("<response xmlns='" + nsSASL + "'>" + b64(resp) + "</response>"); err != nil {
				return err
			}
		case e.is(nsSASL, "success"):
			return c.Verify(data)
		case e.is(nsSASL, "failure"):
			return fmt.Errorf("SASL failure: %s", condition(e, nsSASL))
		default:
			return fmt.Errorf("SASL: unexpected %v", e)
		}
	}
	return fmt.Errorf("SASL: too many challenges")
}

// iq sends an IQ set with payload and waits for its answer, skipping
// other stanzas.
func iq(l link, id, payload string) (*elem, error) {
	if err := l.send("<iq xmlns='" + nsClient + "' type='set' id='" + id + "'>" + payload + "</iq>"); err != nil {
		return nil, err
	}
	for range 100 {
		e, err := recvTop(l)
		if err != nil {
			return nil, err
		}
		if e.Name.Local != "iq" || e.attr("id") != id {
			continue
		}
		if e.attr("type") != "result" {
			if er := e.child("", "error"); er != nil {
				return nil, fmt.Errorf("iq %s: %s", e.attr("type"), condition(er, "urn:ietf:params:xml:ns:xmpp-stanzas"))
			}
			return nil, fmt.Errorf("iq type %q", e.attr("type"))
		}
		return e, nil
	}
	return nil, fmt.Errorf("no answer to iq %s among 100 stanzas", id)
}

func b64(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

func kidNames(e *elem) []string {
	var out []string
	for _, k := range e.Kids {
		out = append(out, k.Name.Local)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
