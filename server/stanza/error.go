package stanza

import (
	"strings"

	"github.com/beevik/etree"
)

// Error is a stanza error (RFC 6120 §8.3): the content of an <error/> child.
type Error struct {
	Type      ErrorType      // 'type' attribute; "" means Condition.DefaultType()
	Condition Condition      // the defined condition
	Text      string         // optional <text/>
	Lang      string         // xml:lang of Text
	By        string         // optional 'by' attribute (RFC 6120 §8.3.1 rule 5)
	URI       string         // character data of <gone/> or <redirect/>
	App       *etree.Element // optional application-specific condition (RFC 6120 §8.3.4)
}

// NewError returns an error with condition c, its usual type and an
// optional descriptive text, marked as English when not empty.
func NewError(c Condition, text string) *Error {
	e := &Error{Type: c.DefaultType(), Condition: c, Text: text}
	if text != "" {
		e.Lang = "en"
	}
	return e
}

// Error returns "stanza error: condition[: text]".
func (e *Error) Error() string {
	s := "stanza error: " + string(e.Condition)
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// Is reports whether target is a *Error or a Condition with the same
// condition as e.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t != nil && t.Condition == e.Condition
	case Condition:
		return t == e.Condition
	}
	return false
}

// Element builds the <error/> element (RFC 6120 §8.3.2), without xmlns as it
// is in the stanza's namespace:
//
//	<error type='..' [by='..']>
//	  <condition xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>[URI]</condition>
//	  [<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='..'>..</text>]
//	  [application-specific condition]
//	</error>
//
// An empty Condition is written as undefined-condition and an empty Type as
// the condition's default type. App is copied.
func (e *Error) Element() *etree.Element {
	c := e.Condition
	if c == "" {
		c = UndefinedCondition
	}
	t := e.Type
	if t == "" {
		t = c.DefaultType()
	}
	el := etree.NewElement("error")
	if e.By != "" {
		el.CreateAttr("by", e.By)
	}
	el.CreateAttr("type", string(t))
	cond := el.CreateElement(string(c))
	cond.CreateAttr("xmlns", NSStanzas)
	if e.URI != "" {
		cond.SetText(e.URI)
	}
	if e.Text != "" {
		txt := el.CreateElement("text")
		txt.CreateAttr("xmlns", NSStanzas)
		if e.Lang != "" {
			txt.CreateAttr("xml:lang", e.Lang)
		}
		txt.SetText(e.Text)
	}
	if e.App != nil {
		el.AddChild(e.App.Copy())
	}
	return el
}

// ParseError reads a stanza error from el, which is either an <error/>
// element or a stanza with an <error/> child. It returns nil when there is
// no error element. A condition that is not defined, or a missing one, is
// read as undefined-condition (RFC 6120 §8.3.2). App is a copy.
func ParseError(el *etree.Element) *Error {
	el = findError(el)
	if el == nil {
		return nil
	}
	e := &Error{Type: ErrorType(attr(el, "", "type")), By: attr(el, "", "by")}
	for _, c := range el.ChildElements() {
		switch {
		case c.NamespaceURI() != NSStanzas:
			if e.App == nil {
				e.App = c.Copy()
			}
		case c.Tag == "text":
			e.Text, e.Lang = c.Text(), attr(c, "xml", "lang")
		case e.Condition == "":
			e.Condition = Condition(c.Tag)
			if e.Condition == Gone || e.Condition == Redirect {
				e.URI = strings.TrimSpace(c.Text())
			}
		}
	}
	if !e.Condition.Defined() {
		e.Condition = UndefinedCondition
	}
	return e
}

// findError returns el if it is an <error/> in the content namespace, else
// its first such child, else nil.
func findError(el *etree.Element) *etree.Element {
	if el == nil {
		return nil
	}
	if isClientError(el) {
		return el
	}
	for _, c := range el.ChildElements() {
		if isClientError(c) {
			return c
		}
	}
	return nil
}

func isClientError(el *etree.Element) bool {
	if el.Tag != "error" || el.Space != "" {
		return false
	}
	ns := el.NamespaceURI()
	return ns == "" || ns == NSClient
}

// ErrorReply builds the error stanza answering s (RFC 6120 §8.3): the same
// kind, id and xml:lang, type 'error', 'from' and 'to' swapped, the original
// children kept (RFC 6120 §8.3.1 rule 6) and e's <error/> element appended.
// Addresses that did not parse (left zero by Parse) are left out rather than
// echoed (RFC 6120 §8.3.1 rule 2).
//
// ErrorReply returns nil when s is itself an error stanza: an error is never
// answered with an error (RFC 6120 §8.3.1 rule 8). Callers must check. It
// also returns nil for a nil s or e.
func ErrorReply(s *Stanza, e *Error) *Stanza {
	if s == nil || e == nil || s.Type == "error" {
		return nil
	}
	el := s.El.Copy()
	for _, c := range el.ChildElements() {
		if isClientError(c) {
			el.RemoveChild(c)
		}
	}
	setJID(el, "from", s.To)
	setJID(el, "to", s.From)
	el.CreateAttr("type", "error")
	el.AddChild(e.Element())
	return &Stanza{
		El: el, Kind: s.Kind, Type: "error", ID: s.ID, Lang: s.Lang,
		From: s.To, To: s.From,
	}
}
