package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Limits on values, shared with the documentation in the example file.
const (
	// MinSCRAMIterations is RFC 7677 §4's minimum iteration count.
	MinSCRAMIterations = 4096
	// MinStanzaSize is RFC 6120 §13.12's smallest allowed stanza limit.
	MinStanzaSize = 10000
	// MaxRosterItems is the largest allowed im.roster_max_items.
	MaxRosterItems = 100_000
	// MaxOfflineMessages is the largest allowed im.offline_max_messages.
	MaxOfflineMessages = 100_000
	// MaxVCardBytes is the largest allowed im.vcard_max_bytes (16 MiB).
	MaxVCardBytes = 16 << 20
)

// Validate checks every value and normalises the domains (lowercase, IDNA,
// no trailing dot). Problems are *Error values with Key set, joined with
// errors.Join.
func (c *Config) Validate() error {
	v := &validator{}
	c.validateDomains(v)
	v.check(c.DataDir != "", "data_dir", "expected a directory path, got an empty string")
	c.validateStorage(v)
	c.validateC2S(v)
	c.validateHTTP(v)
	c.validateBOSH(v)
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		key := "tls.key"
		if c.TLS.Cert == "" {
			key = "tls.cert"
		}
		v.add(key, "expected tls.cert and tls.key to be both set or both empty")
	}
	switch c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		v.add("log.level", fmt.Sprintf(`expected "trace", "debug", "info", "warn" or "error", got %q`, c.Log.Level))
	}
	a := c.Auth
	v.check(a.SCRAMIterations >= MinSCRAMIterations && a.SCRAMIterations <= 10_000_000, "auth.scram_iterations",
		fmt.Sprintf("expected an integer from %d to 10000000, got %d", MinSCRAMIterations, a.SCRAMIterations))
	v.check(a.MaxFailures >= 0, "auth.max_failures", fmt.Sprintf("expected 0 (no limit) or more, got %d", a.MaxFailures))
	v.positive("auth.failure_window", a.FailureWindow)
	c.validateIM(v)
	if c.Debug.PprofListen != "" {
		v.check(isLoopbackAddr(c.Debug.PprofListen), "debug.pprof_listen",
			fmt.Sprintf(`expected a loopback host:port such as "127.0.0.1:6060", got %q`, c.Debug.PprofListen))
	}
	v.check(c.Web.Title != "", "web.title", "expected a page title, got an empty string")
	return v.err()
}

type validator struct{ errs []error }

func (v *validator) add(key, msg string) { v.errs = append(v.errs, &Error{Key: key, Msg: msg}) }

func (v *validator) check(ok bool, key, msg string) {
	if !ok {
		v.add(key, msg)
	}
}

func (v *validator) positive(key string, d Duration) {
	v.check(d.Duration > 0, key, fmt.Sprintf(`expected a positive duration such as "30s", got %q`, d.Duration))
}

func (v *validator) err() error { return errors.Join(v.errs...) }

func (c *Config) validateDomains(v *validator) {
	if len(c.Domains) == 0 {
		v.add("domains", `expected at least one domain, such as ["example.com"]`)
		return
	}
	seen := map[string]bool{}
	for i, d := range c.Domains {
		n, err := normalizeDomain(d)
		if err != nil {
			v.add("domains", fmt.Sprintf("expected domain names, %q is not valid: %v", d, err))
			continue
		}
		if seen[n] {
			v.add("domains", fmt.Sprintf("domain %q is listed twice", n))
		}
		seen[n] = true
		c.Domains[i] = n
	}
}

func (c *Config) validateStorage(v *validator) {
	switch c.Storage.Driver {
	case "sqlite":
		if c.Storage.DSN == "" {
			c.Storage.DSN = strings.TrimSuffix(c.DataDir, "/") + "/parley.db"
		}
	case "postgres":
		if c.Storage.DSN == "" {
			v.add("storage.dsn", `expected a PostgreSQL URL such as "postgres://parley@localhost/parley", got an empty string`)
		} else if u, err := url.Parse(c.Storage.DSN); strings.Contains(c.Storage.DSN, "://") &&
			(err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql") {
			v.add("storage.dsn", `expected a URL starting with "postgres://" or "postgresql://"`)
		}
	default:
		v.add("storage.driver", fmt.Sprintf(`expected "sqlite" or "postgres", got %q`, c.Storage.Driver))
	}
}

func (c *Config) validateC2S(v *validator) {
	s := c.C2S
	v.addrs("c2s.listen", s.Listen)
	v.addrs("c2s.direct_tls_listen", s.DirectTLSListen)
	v.positive("c2s.handshake_timeout", s.HandshakeTimeout)
	v.check(s.MaxStanzaSize >= MinStanzaSize, "c2s.max_stanza_size",
		fmt.Sprintf("expected at least %d bytes (RFC 6120 §13.12), got %d", MinStanzaSize, s.MaxStanzaSize))
	v.check(s.OutQueue >= 1, "c2s.out_queue", fmt.Sprintf("expected 1 or more stanzas, got %d", s.OutQueue))
	v.check(s.ConflictPolicy == "replace" || s.ConflictPolicy == "reject", "c2s.conflict_policy",
		fmt.Sprintf(`expected "replace" or "reject", got %q`, s.ConflictPolicy))
}

func (c *Config) validateHTTP(v *validator) {
	v.addrs("http.listen", c.HTTP.Listen)
	v.addrs("http.tls_listen", c.HTTP.TLSListen)
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			v.add("http.trusted_proxies", fmt.Sprintf(`expected IP addresses or CIDR prefixes such as "10.0.0.0/8", got %q`, p))
		}
	}
}

func (c *Config) validateBOSH(v *validator) {
	b := c.BOSH
	v.check(strings.HasPrefix(b.Path, "/") && !strings.ContainsAny(b.Path, "?# "), "bosh.path",
		fmt.Sprintf(`expected a URL path starting with "/", got %q`, b.Path))
	v.positive("bosh.max_wait", b.MaxWait)
	v.check(b.MaxHold >= 1 && b.MaxHold <= 10, "bosh.max_hold", fmt.Sprintf("expected an integer from 1 to 10, got %d", b.MaxHold))
	v.positive("bosh.max_inactivity", b.MaxInactivity)
	v.check(b.MaxPause.Duration >= 0, "bosh.max_pause", fmt.Sprintf(`expected "0s" (no pausing) or more, got %q`, b.MaxPause.Duration))
	v.check(b.MaxBody >= MinStanzaSize, "bosh.max_body", fmt.Sprintf("expected at least %d bytes, got %d", MinStanzaSize, b.MaxBody))
	v.check(b.Polling.Duration >= 0 && b.Polling.Duration < b.MaxInactivity.Duration, "bosh.polling",
		fmt.Sprintf("expected a duration from 0s to below bosh.max_inactivity, got %q", b.Polling.Duration))
	for _, o := range b.CORSOrigins {
		v.check(o == "*" || isOrigin(o), "bosh.cors_origins",
			fmt.Sprintf(`expected "*" or origins such as "https://example.com", got %q`, o))
	}
	if b.Redirect != "" {
		u, err := url.Parse(b.Redirect)
		v.check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", "bosh.redirect",
			fmt.Sprintf(`expected an http(s) URL such as "https://example.com/", got %q`, b.Redirect))
	}
}

func (c *Config) validateIM(v *validator) {
	m := c.IM
	v.between("im.roster_max_items", m.RosterMaxItems, 1, MaxRosterItems, "items")
	v.between("im.offline_max_messages", m.OfflineMaxMessages, 1, MaxOfflineMessages, "messages")
	v.between("im.vcard_max_bytes", m.VCardMaxBytes, 1, MaxVCardBytes, "bytes")
}

// between checks that n is an integer from lo to hi.
func (v *validator) between(key string, n, lo, hi int, unit string) {
	v.check(n >= lo && n <= hi, key, fmt.Sprintf("expected %d to %d %s, got %d", lo, hi, unit, n))
}

// addrs checks host:port listen addresses; port 0 picks a free port.
func (v *validator) addrs(key string, list []string) {
	for _, a := range list {
		host, port, err := net.SplitHostPort(a)
		if err == nil {
			_, err = strconv.ParseUint(port, 10, 16)
		}
		if err != nil || strings.ContainsAny(host, " /") {
			v.add(key, fmt.Sprintf(`expected host:port addresses such as "0.0.0.0:5222" or "[::]:5222", got %q`, a))
		}
	}
}

func isLoopbackAddr(a string) bool {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return false
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func isOrigin(o string) bool {
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == ""
}
