package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/parley-xmpp/parley/app"
	"github.com/parley-xmpp/parley/config"
	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/server/sasl"
	"github.com/parley-xmpp/parley/storage"
)

// pingTimeout bounds how long a command waits for an unreachable database.
const pingTimeout = 10 * time.Second

// openStore opens the configured database, checks it is reachable and,
// when migrate is set, applies pending migrations the way `parley serve`
// does (a database newer than this binary is refused).
func openStore(ctx context.Context, cfg *config.Config, migrate bool) (storage.Store, error) {
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := store.Ping(pctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	if migrate {
		if err := store.Migrate(ctx); err != nil {
			store.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	return store, nil
}

// userJID parses and normalises (PRECIS, RFC 7622) the address of an
// account: user@domain, no resource, domain served by cfg.
func userJID(cfg *config.Config, s string) (jid.JID, error) {
	j, err := jid.Parse(s)
	if err != nil {
		return jid.JID{}, fmt.Errorf("invalid JID %q: %s", s, strings.TrimPrefix(err.Error(), "jid: "))
	}
	if j.Localpart() == "" {
		return jid.JID{}, fmt.Errorf("invalid JID %q: expected user@domain", s)
	}
	if !j.IsBare() {
		return jid.JID{}, fmt.Errorf("invalid JID %q: expected a bare JID (user@domain), without /resource", s)
	}
	if !cfg.Serves(j.Domainpart()) {
		return jid.JID{}, fmt.Errorf("domain %q is not served by this configuration (domains: %s)",
			j.Domainpart(), strings.Join(cfg.Domains, ", "))
	}
	return j, nil
}

// credentials derives the SCRAM verifiers of password (RFC 5802, RFC 7677)
// with a fresh salt per hash.
func credentials(password string, iterations int) ([]storage.Credential, error) {
	cs, err := sasl.NewCredentials(password, iterations)
	if err != nil {
		return nil, err
	}
	out := make([]storage.Credential, len(cs))
	for i, c := range cs {
		out[i] = storage.Credential{Hash: c.Hash, Salt: c.Salt, Iterations: c.Iterations,
			StoredKey: c.StoredKey, ServerKey: c.ServerKey}
	}
	return out, nil
}

// noSuchUser turns storage.ErrNotFound into a clear message.
func noSuchUser(j jid.JID, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no such user %s", j)
	}
	return err
}

// userCtx is what commands about one account work with.
type userCtx struct {
	e     *env
	cfg   *config.Config
	log   zerolog.Logger
	j     jid.JID
	store storage.Store
}

// kick notifies a running server that the account changed.
func (u *userCtx) kick(reason string) { kick(u.e.ctx, u.log, u.cfg, u.store, u.j, reason) }

// withUser loads the configuration, parses the account address s and opens
// (and migrates) the database for fn.
func (e *env) withUser(s string, fn func(u *userCtx) error) error {
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	log, err := e.logger("warn")
	if err != nil {
		return err
	}
	j, err := userJID(cfg, s)
	if err != nil {
		return err
	}
	store, err := openStore(e.ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(&userCtx{e: e, cfg: cfg, log: log, j: j, store: store})
}
