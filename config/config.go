// Package config loads and validates Parley's TOML configuration.
//
// Loading is strict: an unknown key, a value of the wrong type or an invalid
// value is an error of the form "FILE:LINE: message", where the message says
// what is expected. A missing file section or key keeps its default, see
// Default and configs/parley.example.toml.
package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s",
// "5m" or "1h30m" (time.ParseDuration syntax).
type Duration struct{ time.Duration }

// UnmarshalText parses a duration string such as "30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("expected a duration such as \"30s\" or \"5m\", got %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Config is the whole server configuration. The toml tags are the key names
// of the file format; configs/parley.example.toml documents every one.
type Config struct {
	// Domains are the XMPP domains this server serves, normalised to
	// lowercase (IDNA) by Load and Validate. The first is the default domain
	// for administrative commands.
	Domains []string `toml:"domains"`
	// DataDir holds the SQLite database (by default), the generated TLS
	// certificate and the admin socket.
	DataDir string `toml:"data_dir"`

	Storage Storage `toml:"storage"`
	C2S     C2S     `toml:"c2s"`
	HTTP    HTTP    `toml:"http"`
	BOSH    BOSH    `toml:"bosh"`
	TLS     TLS     `toml:"tls"`
	Log     Log     `toml:"log"`
	Auth    Auth    `toml:"auth"`
	IM      IM      `toml:"im"`
	Disco   Disco   `toml:"disco"`
	Debug   Debug   `toml:"debug"`
	Web     Web     `toml:"web"`
}

// Storage selects the storage backend.
type Storage struct {
	// Driver is "sqlite" or "postgres".
	Driver string `toml:"driver"`
	// DSN is the SQLite file path, or a PostgreSQL URL such as
	// "postgres://user@host/db?sslmode=disable". Empty with sqlite means
	// DataDir/parley.db.
	DSN string `toml:"dsn"`
}

// C2S configures client-to-server TCP streams (RFC 6120).
type C2S struct {
	// Listen are the host:port addresses for plaintext-then-STARTTLS streams.
	Listen []string `toml:"listen"`
	// DirectTLSListen are host:port addresses where TLS starts at once
	// (XEP-0368 direct TLS).
	DirectTLSListen []string `toml:"direct_tls_listen"`
	// RequireTLS refuses to authenticate a stream before TLS is negotiated.
	RequireTLS bool `toml:"require_tls"`
	// HandshakeTimeout bounds the time from connect to a bound resource.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
	// MaxStanzaSize is the largest top-level element in bytes
	// (RFC 6120 §13.12 asks for at least 10000).
	MaxStanzaSize int `toml:"max_stanza_size"`
	// OutQueue is how many stanzas may wait for a slow client before the
	// session is closed.
	OutQueue int `toml:"out_queue"`
	// ConflictPolicy decides what a resource conflict does
	// (RFC 6120 §7.7.2.2): "replace" ends the old session, "reject"
	// refuses the new binding.
	ConflictPolicy string `toml:"conflict_policy"`
}

// HTTP configures the HTTP server (BOSH, web client).
type HTTP struct {
	// Listen are plaintext HTTP host:port addresses.
	Listen []string `toml:"listen"`
	// TLSListen are HTTPS host:port addresses.
	TLSListen []string `toml:"tls_listen"`
	// TrustedProxies are IP addresses or CIDR prefixes whose
	// X-Forwarded-For header is believed.
	TrustedProxies []string `toml:"trusted_proxies"`
}

// BOSH configures XMPP over BOSH (XEP-0124, XEP-0206).
type BOSH struct {
	// Path is the URL path of the BOSH endpoint.
	Path string `toml:"path"`
	// MaxWait is the longest time a request is held (XEP-0124 'wait').
	MaxWait Duration `toml:"max_wait"`
	// MaxHold is the most requests held at once (XEP-0124 'hold').
	MaxHold int `toml:"max_hold"`
	// MaxInactivity is the longest time without a request before the
	// session ends (XEP-0124 'inactivity').
	MaxInactivity Duration `toml:"max_inactivity"`
	// MaxPause is the longest pause a client may ask for (XEP-0124 'maxpause').
	MaxPause Duration `toml:"max_pause"`
	// MaxBody is the largest request body in bytes.
	MaxBody int `toml:"max_body"`
	// Polling is the shortest allowed polling interval (XEP-0124 'polling').
	Polling Duration `toml:"polling"`
	// CORSOrigins are origins ("https://example.com", or "*") allowed to
	// use the endpoint from a browser page on another origin.
	CORSOrigins []string `toml:"cors_origins"`
	// Redirect, when set, is the http(s) URL of the BOSH endpoint clients
	// must use instead: session creations are answered with the binding
	// condition see-other-uri naming it (XEP-0124 §17.2).
	Redirect string `toml:"redirect"`
}

// TLS names the certificate and key files.
type TLS struct {
	// Cert is a PEM certificate chain file; empty means a self-signed
	// certificate generated once into DataDir.
	Cert string `toml:"cert"`
	// Key is the PEM private key file of Cert.
	Key string `toml:"key"`
}

// Log configures logging.
type Log struct {
	// Level is "trace", "debug", "info", "warn" or "error".
	Level string `toml:"level"`
}

// Auth configures authentication.
type Auth struct {
	// SCRAMIterations is the PBKDF2 iteration count for new credentials
	// (RFC 7677 §4 asks for at least 4096).
	SCRAMIterations int `toml:"scram_iterations"`
	// MaxFailures is how many failed authentications from one address
	// within FailureWindow are allowed before it is refused; 0 disables.
	MaxFailures int `toml:"max_failures"`
	// FailureWindow is the period failures are counted over.
	FailureWindow Duration `toml:"failure_window"`
}

// IM configures per-user limits of the instant messaging services.
type IM struct {
	// RosterMaxItems is the most items a roster may hold; adding one more
	// is refused with <not-allowed/> (RFC 6121 §2.3.3).
	RosterMaxItems int `toml:"roster_max_items"`
	// OfflineMaxMessages is the most messages kept for a user while
	// offline (XEP-0160 §5: the next one is bounced).
	OfflineMaxMessages int `toml:"offline_max_messages"`
	// VCardMaxBytes is the largest vCard (XEP-0054) or private XML
	// (XEP-0049) payload of a user, in bytes of serialised XML.
	VCardMaxBytes int `toml:"vcard_max_bytes"`
}

// Disco configures service discovery answers.
type Disco struct {
	// HideVersion hides the server version (XEP-0092) from clients.
	HideVersion bool `toml:"hide_version"`
}

// Debug configures debugging aids.
type Debug struct {
	// PprofListen is a loopback host:port for net/http/pprof; empty disables.
	PprofListen string `toml:"pprof_listen"`
}

// Web configures the bundled web client, served over HTTP.
type Web struct {
	// Enabled serves the web client at / and on GET of the BOSH path.
	Enabled bool `toml:"enabled"`
	// Title is the page title.
	Title string `toml:"title"`
	// ClientOptions are Converse.js settings passed through to the client
	// as they are; they override Parley's. Written as the table [web.options].
	ClientOptions map[string]any `toml:"options"`
}

// Options returns ClientOptions as a JSON object, nil when there are none.
func (w Web) Options() json.RawMessage {
	if len(w.ClientOptions) == 0 {
		return nil
	}
	b, err := json.Marshal(w.ClientOptions)
	if err != nil { // TOML values always marshal; be safe anyway
		return nil
	}
	return b
}

// Default returns the built-in configuration: it serves localhost with an
// SQLite file in ./data. Each call returns a fresh value.
func Default() *Config {
	return &Config{
		Domains: []string{"localhost"},
		DataDir: "data",
		Storage: Storage{Driver: "sqlite", DSN: "data/parley.db"},
		C2S: C2S{
			Listen:           []string{"0.0.0.0:5222"},
			DirectTLSListen:  []string{},
			RequireTLS:       true,
			HandshakeTimeout: Duration{30 * time.Second},
			MaxStanzaSize:    256 << 10,
			OutQueue:         1000,
			ConflictPolicy:   "replace",
		},
		HTTP: HTTP{
			Listen:         []string{"127.0.0.1:5280"},
			TLSListen:      []string{"0.0.0.0:5443"},
			TrustedProxies: []string{},
		},
		BOSH: BOSH{
			Path:          "/http-bind",
			MaxWait:       Duration{60 * time.Second},
			MaxHold:       2,
			MaxInactivity: Duration{60 * time.Second},
			MaxPause:      Duration{300 * time.Second},
			MaxBody:       1 << 20,
			Polling:       Duration{2 * time.Second},
			CORSOrigins:   []string{},
		},
		Log:   Log{Level: "info"},
		Auth:  Auth{SCRAMIterations: 4096, MaxFailures: 5, FailureWindow: Duration{5 * time.Minute}},
		IM:    IM{RosterMaxItems: 1000, OfflineMaxMessages: 1000, VCardMaxBytes: 128 << 10},
		Debug: Debug{},
		Web:   Web{Enabled: true, Title: "Parley"},
	}
}

// DefaultDomain is the first configured domain.
func (c *Config) DefaultDomain() string {
	if len(c.Domains) == 0 {
		return ""
	}
	return c.Domains[0]
}

// Serves reports whether domain (already normalised) is one of Domains.
func (c *Config) Serves(domain string) bool {
	for _, d := range c.Domains {
		if d == domain {
			return true
		}
	}
	return false
}
