package stream

import (
	"encoding/xml"
	"strings"
)

// nsXMLNS is the namespace bound to the xmlns prefix (XML-NAMES §3); no
// other prefix may be bound to it.
const nsXMLNS = "http://www.w3.org/2000/xmlns/"

// binding is one namespace declaration in scope; prefix "" is the default
// namespace.
type binding struct{ prefix, uri string }

// nsScope tracks the namespace declarations in scope while reading, since
// the decoder reads raw tokens and resolves prefixes itself (XML-NAMES §6).
type nsScope struct {
	b     []binding
	marks []int // start of each open element's declarations in b
}

// reset forgets every declaration.
func (s *nsScope) reset() {
	clear(s.b)
	s.b = s.b[:0]
	s.marks = s.marks[:0]
}

// isDecl reports whether a is a namespace declaration.
func isDecl(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns")
}

// push opens an element scope with the declarations among attrs. Reserved
// prefixes and namespaces misused, undeclared prefixes (xmlns:p=”) and
// duplicate declarations are not namespace-well-formed (XML-NAMES §3, §5).
func (s *nsScope) push(attrs []xml.Attr) error {
	mark := len(s.b)
	s.marks = append(s.marks, mark)
	for _, a := range attrs {
		if !isDecl(a) {
			continue
		}
		prefix := ""
		if a.Name.Space == "xmlns" {
			prefix = a.Name.Local
			if err := checkPrefixDecl(prefix, a.Value); err != nil {
				return err
			}
			if prefix == "xml" {
				continue // binding xml to its own namespace is allowed and a no-op
			}
		} else if a.Value == NSXML || a.Value == nsXMLNS {
			return notWellFormed("reserved namespace declared as default")
		}
		for _, d := range s.b[mark:] {
			if d.prefix == prefix {
				return notWellFormed("duplicate namespace declaration")
			}
		}
		s.b = append(s.b, binding{prefix, a.Value})
	}
	return nil
}

// checkPrefixDecl validates the declaration xmlns:prefix='uri'.
func checkPrefixDecl(prefix, uri string) error {
	switch {
	case prefix == "xmlns" || strings.Contains(prefix, ":"):
		return notWellFormed("invalid namespace prefix declaration")
	case prefix == "xml":
		if uri != NSXML {
			return notWellFormed("prefix xml bound to another namespace")
		}
	case uri == "":
		return notWellFormed("empty namespace for prefix " + prefix)
	case uri == NSXML || uri == nsXMLNS:
		return notWellFormed("reserved namespace bound to prefix " + prefix)
	}
	return nil
}

// pop closes the innermost element scope.
func (s *nsScope) pop() {
	n := len(s.marks) - 1
	clear(s.b[s.marks[n]:])
	s.b = s.b[:s.marks[n]]
	s.marks = s.marks[:n]
}

// lookup resolves prefix to its namespace; "" resolves to the default
// namespace, "" when none is declared. ok is false for an undeclared prefix.
func (s *nsScope) lookup(prefix string) (uri string, ok bool) {
	if prefix == "xml" {
		return NSXML, true
	}
	for i := len(s.b) - 1; i >= 0; i-- {
		if s.b[i].prefix == prefix {
			return s.b[i].uri, true
		}
	}
	return "", prefix == ""
}

// resolveAttr returns the namespace of a non-declaration attribute;
// unprefixed attributes are in no namespace (XML-NAMES §6.2).
func (s *nsScope) resolveAttr(a xml.Attr) (string, error) {
	if strings.Contains(a.Name.Local, ":") {
		return "", notWellFormed("invalid attribute name " + a.Name.Local)
	}
	if a.Name.Space == "" {
		return "", nil
	}
	uri, ok := s.lookup(a.Name.Space)
	if !ok {
		return "", badPrefix(a.Name.Space)
	}
	return uri, nil
}

// notWellFormed is a not-well-formed stream error (RFC 6120 §4.9.3.13).
func notWellFormed(text string) *Error { return NewError(NotWellFormed, text) }

// badPrefix is the bad-namespace-prefix stream error for an undeclared
// prefix (RFC 6120 §4.9.3.2, §11.2).
func badPrefix(prefix string) *Error {
	return NewError(BadNamespacePrefix, "undeclared namespace prefix "+prefix)
}
