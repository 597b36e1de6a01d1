package bosh

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCreation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-017", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("")
		if c.cr.status != 200 || c.sid == "" {
			t.Fatal(c.cr)
		}
	})
	t.Run("B-043_B-047..B-051_B-054_B-057_B-058_B-059_B-061_B-039_B-093_B-095_B-104_B-109_B-211_B-214_B-215", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.create("ack='1'")
		r := c.cr
		for _, a := range []string{"sid", "wait", "requests", "ver", "polling", "inactivity", "hold", "from", "maxpause", "authid", "ack"} {
			if !r.hasAttr(a) {
				t.Errorf("missing %s: %s", a, r)
			}
		}
		for _, a := range []string{"wait", "requests", "polling", "inactivity", "hold", "maxpause"} {
			if n, err := strconv.Atoi(r.attr(a)); err != nil || n < 0 {
				t.Errorf("%s=%q", a, r.attr(a))
			}
		}
		if r.attr("ack") != itoa(c.R) {
			t.Errorf("B-053 ack=%q", r.attr("ack"))
		}
		if r.attr("from") != "example.com" {
			t.Errorf("B-051 from=%q", r.attr("from"))
		}
		if r.root.SelectAttrValue("xmpp:restartlogic", "") != "true" || r.root.SelectAttrValue("xmpp:version", "") != "1.0" {
			t.Errorf("B-059/B-039: %s", r)
		}
		if r.attr("authid") == r.attr("sid") {
			t.Error("B-061: authid equals sid")
		}
		if r.root.FindElement("features/mechanisms") == nil {
			t.Errorf("B-058: no features: %s", r)
		}
		if mp, _ := strconv.Atoi(r.attr("maxpause")); mp <= mp-1 {
			t.Error("maxpause")
		}
		if r.attr("charsets") != "" || r.attr("secure") != "" || r.attr("stream") != "" {
			t.Errorf("B-056/B-037/B-140: %s", r)
		}
		if r.hdr.Get("Content-Type") != "text/xml; charset=utf-8" {
			t.Errorf("B-195: %q", r.hdr.Get("Content-Type"))
		}
	})
	t.Run("B-053_no_ack", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		if c := h.create(""); c.cr.hasAttr("ack") {
			t.Error(c.cr)
		}
	})
}

func TestCreationAttributes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	type check struct {
		id, extra string
		want      map[string]string // attribute → value ("!" = absent)
		term      string            // expected terminal condition
	}
	checks := []check{
		{id: "B-021_B-176", extra: "-to", term: condImproperAddressing},
		{id: "B-021", extra: "to=''", term: condImproperAddressing},
		{id: "B-022_B-175", extra: "to='unknown.invalid'", term: condHostUnknown},
		{id: "B-023_B-212", extra: "to='Example.COM'", want: map[string]string{"from": "example.com"}},
		{id: "B-024", extra: "to='example.org'", want: map[string]string{"from": "example.org"}},
		{id: "B-026", extra: "ver='1.9'", want: map[string]string{"ver": "1.9"}},
		{id: "B-026", extra: "ver='1.20'", want: map[string]string{"ver": "1.11"}},
		{id: "B-027", extra: "ver='1.6'", want: map[string]string{"ver": "1.6"}},
		{id: "B-027", extra: "ver='2.0'", want: map[string]string{"ver": "1.11"}},
		{id: "B-028", extra: "ver='1.06'", want: map[string]string{"ver": "1.6"}},
		{id: "B-029", extra: "wait='5'", want: map[string]string{"wait": "5"}},
		{id: "B-029", extra: "wait='600'", want: map[string]string{"wait": "60"}},
		{id: "B-030", extra: "-wait", want: map[string]string{"wait": "60"}},
		{id: "B-030", extra: "wait='abc'", term: condBadRequest},
		{id: "B-030", extra: "wait='-1'", term: condBadRequest},
		{id: "B-031", extra: "hold='1'", want: map[string]string{"hold": "1", "requests": "2"}},
		{id: "B-031", extra: "hold='5'", want: map[string]string{"hold": "2", "requests": "6"}},
		{id: "B-031", extra: "hold='0'", want: map[string]string{"hold": "0", "requests": "1"}},
		{id: "B-032", extra: "-hold", want: map[string]string{"hold": "1", "requests": "2"}},
		{id: "B-032", extra: "hold='x'", term: condBadRequest},
		{id: "B-045_B-046", extra: "hold='2'", want: map[string]string{"requests": "3"}},
		{id: "B-045", extra: "hold='11'", term: condBadRequest},
		{id: "B-097", extra: "hold='1'", want: map[string]string{"requests": "2"}},
		{id: "B-034_B-035", extra: "route='xmpp:127.0.0.2:5999'", want: map[string]string{"from": "example.com"}},
		{id: "B-035", extra: "route='xmpp:[::1]:5222'", want: map[string]string{"from": "example.com"}},
		{id: "B-035", extra: "route='xmpp:%zz:1'", want: map[string]string{"from": "example.com"}},
		{id: "B-036", extra: "from='admin@example.com'", want: map[string]string{"from": "example.com"}},
		{id: "B-037", extra: "secure='true'", want: map[string]string{"secure": "!"}},
		{id: "B-040", extra: "xmpp:version='1.10'", want: map[string]string{"xmpp:version": "1.0"}},
		{id: "B-040", extra: "xmpp:version='2.0'", want: map[string]string{"xmpp:version": "1.0"}},
		{id: "B-041", extra: "-xmpp:version", want: map[string]string{"xmpp:version": "1.0"}},
		{id: "B-053_B-130", extra: "ack='7'", want: map[string]string{"ack": "=R"}},
		{id: "B-055", extra: "", want: map[string]string{"accept": "gzip,deflate"}},
		{id: "B-056_B-198_B-199", extra: "", want: map[string]string{"charsets": "!"}},
		{id: "B-068", extra: "rid='0'", term: condBadRequest},
		{id: "B-068", extra: "rid='-5'", term: condBadRequest},
		{id: "B-068", extra: "rid='abc'", term: condBadRequest},
		{id: "B-068", extra: "rid='1.5'", term: condBadRequest},
		{id: "B-068", extra: "rid=''", term: condBadRequest},
		{id: "B-140", extra: "", want: map[string]string{"stream": "!"}},
	}
	for _, c := range checks {
		t.Run(c.id+"/"+c.extra, func(t *testing.T) {
			t.Parallel()
			h := h.sub(t)
			R := nextR()
			body := createBody(R, c.extra)
			if strings.HasPrefix(c.extra, "rid=") {
				body = strings.Replace(body, "rid='"+itoa(R)+"'", c.extra, 1)
			}
			r := h.post(body)
			if c.term != "" {
				if !r.isTerm(c.term) {
					t.Fatalf("want term(%s): %s", c.term, r)
				}
				return
			}
			if r.attr("sid") == "" {
				t.Fatalf("no session: %s", r)
			}
			for k, v := range c.want {
				switch v {
				case "!":
					if r.attr(k) != "" {
						t.Errorf("%s present: %s", k, r)
					}
				case "=R":
					if r.attr(k) != itoa(R) {
						t.Errorf("%s=%q", k, r.attr(k))
					}
				default:
					if r.attr(k) != v {
						t.Errorf("%s=%q, want %q", k, r.attr(k), v)
					}
				}
			}
		})
	}
}

func TestCreationMore(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("B-018_B-019_sid_never_creates", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		c := h.login("alice", "")
		before := h.h.Count()
		r := c.req(4, "", "to='example.com' wait='5' hold='1' ver='1.6' xml:lang='en'")
		if !r.isEmpty() || r.hasAttr("sid") || r.took > 1500*time.Millisecond {
			t.Fatalf("%s after %v", r, r.took)
		}
		if h.h.Count() != before {
			t.Fatal("a session was created")
		}
	})
	t.Run("B-020_unknown_sid", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		before := h.h.Count()
		r := h.post("<body " + hb + " rid='1' sid='0123456789abcdef'/>")
		if !r.isTerm(condItemNotFound) || h.h.Count() > before {
			t.Fatal(r)
		}
	})
	t.Run("B-033_B-096_polling", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		for _, extra := range []string{"hold='0'", "wait='0' hold='1'"} {
			c := h.login("alice", extra)
			if r := c.req(4, "", ""); !r.isEmpty() || r.took > 500*time.Millisecond {
				t.Fatalf("%s: %s after %v", extra, r, r.took)
			}
		}
	})
	t.Run("B-038_payload_in_creation_ignored", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		bob := h.login("bob", "")
		R := nextR()
		r := h.post(strings.Replace(createBody(R, ""), "/>", ">"+msg(bob.jid, "x")+"</body>", 1))
		if r.attr("sid") == "" {
			t.Fatal(r)
		}
		n := 4
		if got := bob.collect(&n, 1, 1100*time.Millisecond); len(got) != 0 {
			t.Fatal(got)
		}
	})
	t.Run("B-042_B-246_sids", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		prev := ""
		for range 10000 {
			s := newSID()
			if seen[s] || len(s) < 22 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("bad sid %q", s)
			}
			if prev != "" && len(s) > 4 && s[:4] == prev[:4] {
				t.Fatalf("shared prefix %q %q", s, prev)
			}
			seen[s], prev = true, s
		}
	})
	t.Run("B-044_B-052_no_creation_attributes_later", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		c := h.login("alice", "")
		rs := []*result{c.req(4, "", ""), c.req(5, "", "pause='10'"), c.req(6, "", "type='terminate'")}
		for _, r := range rs {
			for _, a := range []string{"sid", "wait", "requests", "ver", "polling", "inactivity", "hold", "accept", "charsets", "maxpause", "from"} {
				if r.hasAttr(a) {
					t.Errorf("%s in %s", a, r)
				}
			}
		}
	})
	t.Run("B-098_B-099_polling_inactivity", func(t *testing.T) {
		t.Parallel()
		h := h.sub(t)
		p := h.create("hold='0'")
		n := h.create("hold='1'")
		ip, _ := strconv.Atoi(p.cr.attr("inactivity"))
		in, _ := strconv.Atoi(n.cr.attr("inactivity"))
		poll, _ := strconv.Atoi(n.cr.attr("polling"))
		if ip-in <= poll {
			t.Fatalf("inactivity %d vs %d, polling %d", ip, in, poll)
		}
	})
	t.Run("B-105_default_inactivity", func(t *testing.T) {
		t.Parallel()
		d := newHarness(t, func(c *Config) { *c = DefaultConfig() })
		c := d.create("")
		if c.cr.attr("inactivity") != "60" || c.cr.attr("maxpause") != "300" || c.cr.attr("polling") != "2" {
			t.Fatal(c.cr)
		}
	})
}
