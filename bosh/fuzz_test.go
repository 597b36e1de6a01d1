package bosh

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley-xmpp/parley/server"
	"github.com/rs/zerolog"
)

// FuzzBody feeds arbitrary request bodies to the parser; whatever parses
// must serialise back into a well-formed response body.
func FuzzBody(f *testing.F) {
	for _, s := range []string{
		createBody(1000, ""),
		"<body xmlns='http://jabber.org/protocol/httpbind' rid='5' sid='x'><message to='a@b'><body>hi</body></message></body>",
		"<body xmlns='http://jabber.org/protocol/httpbind' xmlns:x='urn:xmpp:xbosh' rid='5' sid='x' x:restart='true'/>",
		"<!DOCTYPE body [<!ENTITY x 'y'>]><body/>",
		"<body xmlns='http://jabber.org/protocol/httpbind'><!-- c --></body>",
		"\xef\xbb\xbf<?xml version='1.0'?><body xmlns='http://jabber.org/protocol/httpbind' rid='1'/>",
		"<body xmlns='http://jabber.org/protocol/httpbind' rid='1'><message>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := parseBody(raw)
		if b == nil || err != nil {
			return
		}
		b.isRestart()
		b.isTerminate()
		b.pause()
		parseRID(b.attr("rid"))
		checkBody(t, newResponse([]attr{{"ack", b.attr("rid")}}, b.children).body)
	})
}

// FuzzRIDWindow drives one session's rid window, acks, pauses, repeats,
// abandoned and expired requests in arbitrary order and checks that
// every request is eventually answered and hold is never exceeded.
func FuzzRIDWindow(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6})
	f.Add([]byte{2, 1, 0x13, 0x24, 0x35, 0x46, 0x57, 0x68})
	f.Add([]byte{5, 5, 5, 5, 5, 5, 5, 0x80, 0x91})
	f.Add([]byte{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		cfg := testConfig()
		cfg.Polling = time.Nanosecond
		m := newManager(cfg.withDefaults(), newFakeCore(), zerolog.Nop())
		defer m.wheel.close()
		hold := 1 + int(len(ops)%3)
		R := uint64(1000)
		b, _ := parseBody([]byte(createBody(R, fmt.Sprintf("hold='%d' ack='1'", hold))))
		resp := m.create(b, R, server.TransportInfo{Kind: "bosh"}, false, "ip")
		if resp.final {
			t.Fatalf("creation failed: %s", resp.body)
		}
		var s *session
		for _, v := range m.sessions {
			s = v
		}
		var open []*request
		for _, op := range ops {
			kind, arg := op>>4, uint64(op&0x0f)
			switch {
			case kind < 8:
				attrs := ""
				switch kind {
				case 1:
					attrs = "pause='5'"
				case 2:
					attrs = fmt.Sprintf("ack='%d'", R+arg/2)
				case 3:
					attrs = "type='terminate'"
				}
				rid := R + arg - 2
				payload := ""
				if kind == 4 {
					payload = "<presence xmlns='jabber:client'/>"
				}
				raw := fmt.Sprintf("<body %s rid='%d' sid='%s' %s>%s</body>", hb, rid, s.sid, attrs, payload)
				rb, err := parseBody([]byte(raw))
				if err != nil {
					t.Fatal(err)
				}
				rq := &request{body: rb, rid: rid, arrived: time.Now(), done: make(chan struct{})}
				rq.empty = payload == "" && attrs == ""
				s.accept(rq)
				open = append(open, rq)
			case kind < 12 && len(open) > 0:
				s.expire(open[int(arg)%len(open)])
			case len(open) > 0:
				s.abandon(open[int(arg)%len(open)])
			}
			s.mu.Lock()
			if s.liveHeld() > s.hold && !s.ended {
				t.Fatalf("%d held, hold %d", s.liveHeld(), s.hold)
			}
			s.mu.Unlock()
		}
		for _, rq := range open {
			if rq.resp == nil && !rq.gone {
				s.expire(rq)
			}
			if rq.gone {
				continue
			}
			select {
			case <-rq.done:
			default:
				t.Fatalf("rid %d never answered", rq.rid)
			}
		}
	})
}
