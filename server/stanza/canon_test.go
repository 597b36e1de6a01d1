package stanza

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// canon renders el in a canonical form for comparison: resolved namespaces
// instead of xmlns attributes, attributes sorted, character data trimmed,
// whitespace-only text dropped.
func canon(el *etree.Element) string {
	var b strings.Builder
	canonTo(&b, el)
	return b.String()
}

func canonTo(b *strings.Builder, el *etree.Element) {
	ns := el.NamespaceURI()
	if ns == "" {
		ns = NSClient // implied: no xmlns up to the top-level stanza
	}
	var attrs []string
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		attrs = append(attrs, a.FullKey()+"="+a.Value)
	}
	slices.Sort(attrs)
	b.WriteString("<{" + ns + "}" + el.Tag)
	for _, a := range attrs {
		b.WriteString(" " + a)
	}
	b.WriteString(">")
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			canonTo(b, t)
		case *etree.CharData:
			b.WriteString(strings.TrimSpace(t.Data))
		}
	}
	b.WriteString("</>")
}

// load reads the root element of a file in testdata/rfc6120.
func load(t *testing.T, name string) *etree.Element {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rfc6120", name))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	root := doc.Root()
	doc.RemoveChild(root)
	return root
}

// mustElement parses a snippet of XML into a detached element.
func mustElement(t testing.TB, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	doc.RemoveChild(root)
	return root
}

func TestCanonIgnoresWhitespaceAndOrder(t *testing.T) {
	a := mustElement(t, "<iq type='get' id='1'>\n  <x xmlns='a'> t </x>\n</iq>")
	b := mustElement(t, "<iq id='1' type='get'><x xmlns='a'>t</x></iq>")
	c := mustElement(t, "<iq id='1' type='get'><x xmlns='b'>t</x></iq>")
	if canon(a) != canon(b) {
		t.Errorf("%s != %s", canon(a), canon(b))
	}
	if canon(a) == canon(c) {
		t.Error("namespaces not compared")
	}
}
