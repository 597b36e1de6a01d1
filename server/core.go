// Package server is the transport-agnostic XMPP session core: sessions with
// a bounded out-queue, stream-feature negotiation, SASL, resource binding, the
// session Registry and the Router (RFC 6120). Transports (c2s for TCP, bosh
// for HTTP) move bytes and frames and call into a Session; everything XMPP
// happens here, once.
//
// Lock order (outermost first); a function never takes an earlier lock while
// holding a later one:
//
//	Core.mu → Registry.mu → Session.mu
//
// Each lock guards only its own maps or fields; no lock is held while a
// Transport method, a hook or a handler runs.
package server

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/stream"
	"github.com/parley-xmpp/parley/storage"
	"github.com/rs/zerolog"
)

// ConflictPolicy decides what a resource conflict does (RFC 6120 §7.7.2.2).
type ConflictPolicy string

// Conflict policies.
const (
	// ConflictReplace ends the old session with a <conflict/> stream error;
	// the new session gets the resource.
	ConflictReplace ConflictPolicy = "replace"
	// ConflictReject refuses the new binding with a <conflict/> stanza error.
	ConflictReject ConflictPolicy = "reject"
)

// Options configure a Core. The composition root fills them from the
// configuration file; zero values take the documented defaults.
type Options struct {
	Domains        []string       // served domains, normalised; at least one
	RequireTLS     bool           // nothing but STARTTLS before TLS; PLAIN only over TLS
	OutQueue       int            // stanzas waiting per session before it is closed; 0 → 1000
	ConflictPolicy ConflictPolicy // "" → ConflictReplace
	// MaxConnFailures is how many failed SASL attempts one stream may make
	// before it is closed with <policy-violation/> (RFC 6120 §6.4.5); 0 → 3,
	// at most 255.
	MaxConnFailures int
	// MaxIPFailures is how many failed SASL attempts one IP address may make
	// within FailureWindow before it gets temporary-auth-failure; 0 disables.
	MaxIPFailures int
	FailureWindow time.Duration // 0 → 5m
	// SCRAMIterations is the iteration count decoys show (sasl.Config).
	SCRAMIterations int
	HideVersion     bool   // XEP-0092 answers service-unavailable
	Version         string // software version for XEP-0092
	Logger          zerolog.Logger
}

// Core is the session core shared by every transport: it holds the
// options, storage, the Registry and the Router.
type Core struct {
	opts     Options
	domains  map[string]string // served domain → the same string of Options.Domains
	store    storage.Store
	log      zerolog.Logger
	registry *Registry
	router   *Router
	throttle *throttle
	creds    *credCache
	endPoint atomic.Pointer[endPoint] // tls-server-end-point hash of the last certificate seen
	panics   atomic.Int64             // recovered panics (recover.go)

	mu       sync.Mutex // guards the fields below
	sessions map[*Session]struct{}
	ctxs     map[*Session]*sessionContext // Session.Context, made on demand
	features []Feature
	onEnd    []func(*Session, error)
	onBound  []func(*Session)
	undeliv  func(*Session, []*etree.Element)
	closing  bool
	allGone  chan struct{} // closed when closing and sessions is empty
}

// NewCore returns a Core serving opts.Domains from store.
func NewCore(store storage.Store, opts Options) *Core {
	if opts.OutQueue <= 0 {
		opts.OutQueue = 1000
	}
	if opts.ConflictPolicy == "" {
		opts.ConflictPolicy = ConflictReplace
	}
	if opts.MaxConnFailures <= 0 {
		opts.MaxConnFailures = 3
	}
	opts.MaxConnFailures = min(opts.MaxConnFailures, 255) // Session.failures is a uint8
	if opts.FailureWindow <= 0 {
		opts.FailureWindow = 5 * time.Minute
	}
	c := &Core{
		opts:     opts,
		domains:  map[string]string{},
		store:    store,
		log:      opts.Logger,
		registry: newRegistry(),
		throttle: newThrottle(opts.MaxIPFailures, opts.FailureWindow),
		creds:    newCredCache(30 * time.Second),
		sessions: map[*Session]struct{}{},
		allGone:  make(chan struct{}),
	}
	for _, d := range opts.Domains {
		c.domains[d] = d
	}
	c.features = defaultFeatures()
	c.router = newRouter(c)
	c.undeliv = c.bounceUndeliverable
	return c
}

// Options returns the options the core runs with (defaults applied).
func (c *Core) Options() Options { return c.opts }

// Store returns the storage backend.
func (c *Core) Store() storage.Store { return c.store }

// Registry returns the registry of bound sessions.
func (c *Core) Registry() *Registry { return c.registry }

// Router returns the stanza router.
func (c *Core) Router() *Router { return c.router }

// Logger returns the core's logger.
func (c *Core) Logger() zerolog.Logger { return c.log }

// Serves reports whether domain (normalised) is one of the served domains.
func (c *Core) Serves(domain string) bool { return c.domains[domain] != "" }

// Domains returns the served domains.
func (c *Core) Domains() []string { return slices.Clone(c.opts.Domains) }

// AddStreamFeature registers an extra stream feature (for example roster
// versioning, urn:xmpp:features:rosterver). Call before serving.
func (c *Core) AddStreamFeature(f Feature) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.features = append(c.features, f)
}

// OnSessionBound registers fn to run after a session bound its resource
// and is visible in the Registry.
func (c *Core) OnSessionBound(fn func(*Session)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onBound = append(c.onBound, fn)
}

// OnSessionEnd registers fn to run once a session has ended and left the
// Registry (for example to broadcast unavailable presence, RFC 6121 §4.6).
// reason is the error the session ended with (nil for a clean close).
func (c *Core) OnSessionEnd(fn func(s *Session, reason error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onEnd = append(c.onEnd, fn)
}

// SetUndeliverable sets where stanzas queued for a session that ended
// before they were written go. The default bounces IQ get/set with
// <service-unavailable/> (RFC 6120 §10.5.4) and drops everything else; the
// IM work replaces it to store messages offline. fn may call the default
// through BounceUndeliverable.
func (c *Core) SetUndeliverable(fn func(s *Session, els []*etree.Element)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.undeliv = fn
}

func (c *Core) featureList() []Feature {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.features)
}

func (c *Core) addSession(s *Session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.sessions[s] = struct{}{}
	return true
}

func (c *Core) removeSession(s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sessions, s)
	if c.closing && len(c.sessions) == 0 {
		select {
		case <-c.allGone:
		default:
			close(c.allGone)
		}
	}
}

// SessionCount returns the number of live sessions, bound or not.
func (c *Core) SessionCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

// Shutdown closes every session with <system-shutdown/> (RFC 6120
// §4.9.3.22), refuses new ones and waits until all have ended or ctx is done.
func (c *Core) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	c.closing = true
	all := make([]*Session, 0, len(c.sessions))
	for s := range c.sessions {
		all = append(all, s)
	}
	if len(c.sessions) == 0 {
		select {
		case <-c.allGone:
		default:
			close(c.allGone)
		}
	}
	c.mu.Unlock()
	for _, s := range all {
		s.Close(&stream.Error{Condition: stream.SystemShutdown})
	}
	select {
	case <-c.allGone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kick ends every session of the bare JID user with err (for example
// <not-authorized/> after the account was deleted or disabled, <reset/>
// after a password change) and forgets cached credentials. It returns how
// many sessions were closed.
func (c *Core) Kick(user jid.JID, err *stream.Error) int {
	c.creds.forget(user.Domainpart(), user.Localpart())
	var victims []*Session
	c.mu.Lock()
	for s := range c.sessions {
		if j := s.authJID(); !j.IsZero() && j.Bare() == user.Bare() {
			victims = append(victims, s)
		}
	}
	c.mu.Unlock()
	for _, s := range victims {
		s.Close(err)
	}
	return len(victims)
}

// ErrClosed is the reason of sessions closed by the server.
var ErrClosed = errors.New("server: session closed")
