package bosh

import (
	"strconv"
	"testing"
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
	t.Run("B-043_B-047..B-051_B-054_B-057_B-058_B-059_B-061", func(t *testing.T) {
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
