// Package app is Parley's composition root: it builds every part of the
// server from a config.Config, starts them in a fixed order and stops them in
// the reverse order. `parley serve` runs it, and end-to-end tests start it
// in-process on port 0 with a temporary SQLite file.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/storage"
	"github.com/parley-xmpp/parley/storage/open"
)

// Version is the software version the server reports (XEP-0092) and
// logs; `parley` sets it from its build-time version.
var Version = "dev"

// App is one running server.
type App struct {
	cfg   *config.Config
	log   zerolog.Logger
	store storage.Store

	c2sAddrs  []net.Addr
	httpAddrs []net.Addr
	xmpp      xmppParts // session core, c2s, admin socket (listeners.go)
	http      httpParts // BOSH, web client, HTTP servers (http.go)

	// stops holds what Start started, in start order; Shutdown runs it
	// backwards.
	stops []stopper
}

type stopper struct {
	name string
	stop func(ctx context.Context) error
}

// New creates the data directory, opens the storage backend of cfg and
// applies pending migrations. A database newer than this binary is refused.
// cfg must be valid (config.Load validates it).
func New(ctx context.Context, cfg *config.Config, log zerolog.Logger) (*App, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("migrate %s database: %w", cfg.Storage.Driver, err)
	}
	applied, _, err := store.MigrationStatus(ctx)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("migration status: %w", err)
	}
	log.Info().Str("driver", cfg.Storage.Driver).Int("schema_version", applied).Msg("storage ready")
	return &App{cfg: cfg, log: log, store: store}, nil
}

// OpenStore opens the storage backend cfg names without migrating it. Its
// errors name the driver; PostgreSQL errors never contain the password.
func OpenStore(ctx context.Context, cfg *config.Config) (storage.Store, error) {
	store, err := open.Open(ctx, cfg.Storage.Driver, cfg.Storage.DSN)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", cfg.Storage.Driver, err)
	}
	return store, nil
}

// Config returns the configuration the App was built from.
func (a *App) Config() *config.Config { return a.cfg }

// Store returns the storage backend.
func (a *App) Store() storage.Store { return a.store }

// C2SAddrs returns the bound client-to-server listener addresses, valid
// after Start.
func (a *App) C2SAddrs() []net.Addr { return a.c2sAddrs }

// HTTPAddrs returns the bound HTTP listener addresses, valid after Start.
func (a *App) HTTPAddrs() []net.Addr { return a.httpAddrs }

// Start starts every part of the server in order and logs the bound
// addresses. When a part fails to start, the parts already started are
// stopped again.
func (a *App) Start(ctx context.Context) error {
	a.logLimits()
	// Parts register themselves here in start order with a.started.
	for _, start := range []func(context.Context) error{a.startXMPP, a.startHTTP, a.startPprof, a.startMemTrim} {
		if err := start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// started records that a part is running and how to stop it.
func (a *App) started(name string, stop func(ctx context.Context) error) {
	a.stops = append(a.stops, stopper{name: name, stop: stop})
}

// Shutdown stops the started parts in reverse order of start, then closes
// storage. It returns every error met.
func (a *App) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(a.stops) - 1; i >= 0; i-- {
		s := a.stops[i]
		if err := s.stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	a.stops = nil
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close storage: %w", err))
		}
		a.store = nil
	}
	return errors.Join(errs...)
}

// ShutdownTimeout bounds how long Run waits for the parts to stop.
const ShutdownTimeout = 15 * time.Second

// Run starts the server, logs "ready", waits until ctx is done and shuts
// down within ShutdownTimeout.
func (a *App) Run(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := a.Start(ctx); err != nil {
		a.Shutdown(sctx)
		return err
	}
	a.log.Info().Strs("domains", a.cfg.Domains).Msg("ready")
	<-ctx.Done()
	a.log.Info().Msg("shutting down")
	sctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := a.Shutdown(sctx)
	if err == nil {
		a.log.Info().Msg("stopped")
	}
	return err
}

// logLimits logs the open-file limit, which bounds how many clients can
// connect at once.
func (a *App) logLimits() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		a.log.Warn().Err(err).Msg("cannot read the open-file limit")
		return
	}
	ev := a.log.Info()
	if lim.Cur < 4096 {
		ev = a.log.Warn().Str("hint", "raise it (ulimit -n, LimitNOFILE=) to serve many clients")
	}
	ev.Uint64("soft", lim.Cur).Uint64("hard", lim.Max).Msg("open-file limit")
}
