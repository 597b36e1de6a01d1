package stanza

import (
	"errors"
	"fmt"
	"testing"
)

// TestGoldenRFC6120 checks every defined condition against the example of
// RFC 6120 §8.3.3: the error read from the RFC's reply has the condition
// and NewError's default type, Element reproduces the RFC's <error/>, and
// ErrorReply to the RFC's request matches the reply where the RFC's reply
// is a plain swap.
func TestGoldenRFC6120(t *testing.T) {
	exact := 0
	for _, c := range Conditions() {
		t.Run(string(c), func(t *testing.T) {
			reply := load(t, string(c)+".reply.xml")
			req := load(t, string(c)+".request.xml")
			got := ParseError(reply)
			if got == nil || got.Condition != c || got.Type != c.DefaultType() {
				t.Fatalf("ParseError = %+v; want %s of type %s", got, c, c.DefaultType())
			}
			want := NewError(c, "")
			want.By, want.URI, want.App = got.By, got.URI, got.App
			golden := findError(reply)
			if canon(want.Element()) != canon(golden) {
				t.Errorf("Element:\n got %s\nwant %s", canon(want.Element()), canon(golden))
			}
			s, err := Parse(req)
			switch c {
			case JIDMalformed, BadRequest: // the RFC's requests are the faulty ones
				if !errors.Is(err, c) {
					t.Fatalf("Parse(request) error = %v, want %s", err, c)
				}
			default:
				if err != nil {
					t.Fatalf("Parse(request): %v", err)
				}
			}
			r := ErrorReply(s, want)
			if canon(findError(r.El)) != canon(golden) {
				t.Errorf("ErrorReply error child:\n got %s\nwant %s", canon(findError(r.El)), canon(golden))
			}
			if c == JIDMalformed {
				// The RFC echoes the malformed address; ErrorReply leaves it
				// out instead (RFC 6120 §8.3.1 rule 2).
				if attr(r.El, "", "from") != "" || attr(r.El, "", "to") != attr(reply, "", "to") {
					t.Errorf("ErrorReply header: %s", canon(r.El))
				}
				return
			}
			if !plainSwap(req, reply) {
				t.Logf("RFC reply is not a plain swap of the request; header not compared")
				return
			}
			exact++
			for _, a := range []string{"from", "to", "id", "type"} {
				if g, w := attr(r.El, "", a), attr(reply, "", a); g != w {
					t.Errorf("ErrorReply %s = %q, RFC %q", a, g, w)
				}
			}
		})
	}
	if exact < 12 {
		t.Errorf("only %d examples compared in full", exact)
	}
}

// plainSwap reports whether the RFC's reply swaps the request's addresses,
// keeps its id and has type='error'.
func plainSwap(req, reply interface{ SelectAttrValue(string, string) string }) bool {
	return reply.SelectAttrValue("type", "") == "error" &&
		reply.SelectAttrValue("from", "") == req.SelectAttrValue("to", "") &&
		reply.SelectAttrValue("to", "") == req.SelectAttrValue("from", "") &&
		reply.SelectAttrValue("id", "") == req.SelectAttrValue("id", "")
}

// RFC 6120 §8.3.4: application-specific conditions.
func TestGoldenAppSpecific(t *testing.T) {
	for i, want := range []Error{
		{Type: Modify, Condition: BadRequest},
		{Type: Modify, Condition: UndefinedCondition, Text: "[ ... application-specific information ... ]", Lang: "en"},
	} {
		reply := load(t, fmt.Sprintf("app-specific-%d.reply.xml", i+1))
		got := ParseError(reply)
		if got == nil || got.App == nil || got.App.Tag != "too-many-parameters" || got.App.NamespaceURI() != "http://example.org/ns" {
			t.Fatalf("example %d: App = %+v", i+1, got)
		}
		if got.Type != want.Type || got.Condition != want.Condition || got.Lang != want.Lang {
			t.Errorf("example %d: got %+v", i+1, got)
		}
		if canon(got.Element()) != canon(findError(reply)) {
			t.Errorf("example %d:\n got %s\nwant %s", i+1, canon(got.Element()), canon(findError(reply)))
		}
	}
}

func TestDefaultTypesComplete(t *testing.T) {
	if n := len(Conditions()); n != 22 || len(defaultTypes) != 22 {
		t.Fatalf("%d conditions, %d default types; RFC 6120 §8.3.3 defines 22", n, len(defaultTypes))
	}
	for _, c := range Conditions() {
		if !c.Defined() {
			t.Errorf("%s not defined", c)
		}
	}
	if Condition("x").Defined() || Condition("x").DefaultType() != Cancel {
		t.Error("unknown condition")
	}
}

func TestErrorElementText(t *testing.T) {
	e := NewError(ItemNotFound, "no such node")
	e.App = mustElement(t, "<bad xmlns='urn:example'/>")
	got := canon(e.Element())
	want := canon(mustElement(t, `<error type='cancel'>
		<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
		<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>no such node</text>
		<bad xmlns='urn:example'/></error>`))
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// The element has no xmlns; the condition and text carry theirs.
	el := e.Element()
	if attr(el, "", "xmlns") != "" || attr(el.ChildElements()[0], "", "xmlns") != NSStanzas ||
		attr(el.ChildElements()[1], "", "xmlns") != NSStanzas {
		t.Error("namespace attributes not as the representation requires")
	}
	back := ParseError(el)
	if back.Condition != ItemNotFound || back.Text != "no such node" || back.Lang != "en" || back.Type != Cancel {
		t.Errorf("round trip = %+v", back)
	}
	if (&Error{}).Element().ChildElements()[0].Tag != string(UndefinedCondition) {
		t.Error("empty condition not written as undefined-condition")
	}
}

func TestParseErrorEdgeCases(t *testing.T) {
	if ParseError(mustElement(t, "<message/>")) != nil {
		t.Error("error from a stanza without <error/>")
	}
	if ParseError(nil) != nil {
		t.Error("error from nil")
	}
	e := ParseError(mustElement(t, "<error type='wait'><x-new-cond xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"))
	if e.Condition != UndefinedCondition || e.Type != Wait {
		t.Errorf("unknown condition read as %+v", e)
	}
	if e := ParseError(mustElement(t, "<error type='cancel'/>")); e.Condition != UndefinedCondition {
		t.Errorf("missing condition read as %+v", e)
	}
	// An <error/> in another namespace is payload, not a stanza error.
	if ParseError(mustElement(t, "<iq><error xmlns='urn:other'/></iq>")) != nil {
		t.Error("foreign <error/> read as stanza error")
	}
}

func TestErrorIs(t *testing.T) {
	var err error = NewError(ServiceUnavailable, "nobody home")
	if !errors.Is(err, ServiceUnavailable) || !errors.Is(err, NewError(ServiceUnavailable, "")) {
		t.Error("Is by condition failed")
	}
	if errors.Is(err, ItemNotFound) || errors.Is(err, errors.New("x")) {
		t.Error("Is matched another condition")
	}
	wrapped := fmt.Errorf("routing: %w", err)
	var se *Error
	if !errors.As(wrapped, &se) || se.Condition != ServiceUnavailable {
		t.Error("As failed")
	}
	if err.Error() != "stanza error: service-unavailable: nobody home" || ItemNotFound.Error() != "stanza error: item-not-found" {
		t.Errorf("Error() = %q", err.Error())
	}
}
