package stream

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// benchStream is a realistic client stream: chat messages with receipts and
// chat states, presences with capabilities, and pings.
func benchStream(n int) string {
	var b strings.Builder
	b.WriteString(tcpHeader)
	for i := range n {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&b, `<message to='romeo@montague.example/orchard' type='chat' id='m%d' xml:lang='en'>`+
				`<body>Art thou not Romeo, and a Montague? Message number %d.</body>`+
				`<active xmlns='http://jabber.org/protocol/chatstates'/>`+
				`<request xmlns='urn:xmpp:receipts'/><origin-id xmlns='urn:xmpp:sid:0' id='%d-origin'/></message>`, i, i, i)
		case 2:
			fmt.Fprintf(&b, `<presence id='p%d'><show>away</show><status>At the balcony</status><priority>5</priority>`+
				`<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://gajim.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`, i)
		case 3:
			fmt.Fprintf(&b, `<iq type='get' id='ping%d' to='im.example.com'><ping xmlns='urn:xmpp:ping'/></iq>`, i)
		}
		b.WriteString("\n")
	}
	b.WriteString(CloseTag)
	return b.String()
}

// BenchmarkDecode reports decoding throughput and allocations per stanza.
func BenchmarkDecode(b *testing.B) {
	const n = 1000
	s := benchStream(n)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	r := strings.NewReader(s)
	var d *Decoder
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		r.Reset(s)
		if d == nil {
			d = NewDecoder(r, TCPOptions(0))
		} else {
			d.Reset(r)
		}
		count := 0
		for {
			_, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("%d stanzas", count)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/stanza")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*n), "allocs/stanza")
}

// BenchmarkWrite reports serialisation throughput.
func BenchmarkWrite(b *testing.B) {
	el := decodeOne(&testing.T{}, `<message to='romeo@montague.example/orchard' type='chat' id='m1' xml:lang='en'>`+
		`<body>Art thou not Romeo, &amp; a Montague?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	b.SetBytes(int64(len(String(el))))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, el); err != nil {
			b.Fatal(err)
		}
	}
}
