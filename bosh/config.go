package bosh

import "time"

// Config holds the BOSH binding settings. The composition root starts from
// DefaultConfig and maps the server configuration onto it; zero fields
// other than MaxPause and Polling take the defaults of DefaultConfig when
// passed to NewHandler.
type Config struct {
	// Path is the endpoint path, "/http-bind" by default.
	Path string
	// MaxWait caps the client's 'wait' (XEP-0124 §7.2); 60 s by default.
	MaxWait time.Duration
	// MaxHold caps the client's 'hold' (XEP-0124 §7.2); 2 by default.
	MaxHold int
	// Inactivity is the 'inactivity' granted to non-polling sessions
	// (XEP-0124 §10); 60 s by default: a little more than a comfortable
	// round trip under difficult network conditions (a mobile client
	// switching networks), short enough that a vanished client's contacts
	// see it go offline within a minute (B-105, B-106). Polling sessions get
	// more (B-098). The clock is monotonic (B-108).
	Inactivity time.Duration
	// MaxPause is the advertised 'maxpause' (XEP-0124 §10); 300 s in
	// DefaultConfig. Zero (or negative) disables pausing: no 'maxpause' is
	// advertised and 'pause' is ignored (B-110).
	MaxPause time.Duration
	// Polling is the shortest allowed polling interval (XEP-0124 §12);
	// 2 s in DefaultConfig. Zero allows requests at any frequency.
	Polling time.Duration
	// MaxBody caps the request body before and after decompression; 1 MiB
	// by default.
	MaxBody int64
	// MaxResponse is the soft cap of the payload bytes coalesced into one
	// response; 64 KiB by default.
	MaxResponse int
	// CORSOrigins lists the origins allowed to use the endpoint from a
	// browser; empty means "*".
	CORSOrigins []string
	// SeeOtherURI, when set, answers every session creation with the
	// binding condition see-other-uri naming it (XEP-0124 §17.2).
	SeeOtherURI string
	// RequireTLS redirects plain-HTTP creations to SeeOtherURI (or refuses
	// them with see-other-uri when it is empty).
	RequireTLS bool
	// Compress enables gzip/deflate response encoding per Accept-Encoding
	// for bodies of at least CompressMin bytes (off by default: BREACH).
	Compress bool
	// CompressMin is the smallest body that is compressed; 1 KiB default.
	CompressMin int
	// MaxUnacked caps the responses buffered for a session whose client
	// acknowledges responses (XEP-0124 §9.2); 32 by default.
	MaxUnacked int
	// MaxRepeats is how many copies of one rid are tolerated within
	// Polling (XEP-0124 §14.3); 5 by default.
	MaxRepeats int
	// MaxSessions caps the number of live sessions; 0 means no limit.
	MaxSessions int
	// MaxSessionsPerIP caps live sessions per client address; 0 = no limit.
	MaxSessionsPerIP int
	// TrustedProxies lists proxy addresses (IPs or CIDRs) whose
	// X-Forwarded-For and X-Forwarded-Proto headers are honoured.
	TrustedProxies []string
	// WriteMargin is added to a request's wait to form its HTTP write
	// deadline; 10 s by default.
	WriteMargin time.Duration
	// AuthTimeout closes sessions that have not authenticated within it
	// with a <connection-timeout/> stream error (B-251); 60 s by default.
	AuthTimeout time.Duration
	// ContentTypes is the allowlist for the creation request's 'content'
	// attribute (XEP-0124 §7.1).
	ContentTypes []string
	// IdleTimeout closes an adopted HTTP/1.1 connection that carries no
	// request for that long (net/http's IdleTimeout for the others); 2
	// minutes by default.
	IdleTimeout time.Duration
	// NoAdopt keeps held requests on net/http's goroutines instead of
	// taking their connections over (see adopt.go); for comparison runs.
	NoAdopt bool
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		Path:        "/http-bind",
		MaxWait:     60 * time.Second,
		MaxHold:     2,
		Inactivity:  60 * time.Second,
		MaxPause:    300 * time.Second,
		Polling:     2 * time.Second,
		MaxBody:     1 << 20,
		MaxResponse: 64 << 10,
		CompressMin: 1024,
		MaxUnacked:  32,
		MaxRepeats:  5,
		WriteMargin: 10 * time.Second,
		IdleTimeout: 2 * time.Minute,
		AuthTimeout: 60 * time.Second,
		ContentTypes: []string{
			"text/xml; charset=utf-8",
			"application/xml; charset=utf-8",
			"text/plain; charset=utf-8",
		},
	}
}

// withDefaults fills the zero fields of c from DefaultConfig, except
// MaxPause and Polling, whose zero values mean "disabled".
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Path == "" {
		c.Path = d.Path
	}
	orDefault(&c.MaxWait, d.MaxWait)
	orDefault(&c.MaxHold, d.MaxHold)
	orDefault(&c.Inactivity, d.Inactivity)
	c.MaxPause = max(c.MaxPause, 0)
	c.Polling = max(c.Polling, 0)
	orDefault(&c.MaxBody, d.MaxBody)
	orDefault(&c.MaxResponse, d.MaxResponse)
	orDefault(&c.CompressMin, d.CompressMin)
	orDefault(&c.MaxUnacked, d.MaxUnacked)
	orDefault(&c.MaxRepeats, d.MaxRepeats)
	orDefault(&c.WriteMargin, d.WriteMargin)
	orDefault(&c.AuthTimeout, d.AuthTimeout)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	if len(c.ContentTypes) == 0 {
		c.ContentTypes = d.ContentTypes
	}
	return c
}

// orDefault replaces a zero or negative *v with d.
func orDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
