package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"

	"github.com/parley-xmpp/parley/admin"
	"github.com/parley-xmpp/parley/c2s"
	"github.com/parley-xmpp/parley/server"
	"github.com/parley-xmpp/parley/server/tlsutil"
	"github.com/parley-xmpp/parley/storage"
)

// xmppParts are the session core and the parts around it.
type xmppParts struct {
	core  *server.Core
	tls   *tls.Config
	c2s   *c2s.Server
	admin *admin.Server
}

// Core returns the session core (valid after Start): transports create
// their sessions on it, IM modules register their handlers on its Router.
func (a *App) Core() *server.Core { return a.xmpp.core }

// TLSConfig returns the server TLS configuration (valid after Start).
func (a *App) TLSConfig() *tls.Config { return a.xmpp.tls }

// coreOptions maps the configuration onto the session core's options.
func (a *App) coreOptions() server.Options {
	c := a.cfg
	return server.Options{
		Domains:         c.Domains,
		RequireTLS:      c.C2S.RequireTLS,
		OutQueue:        c.C2S.OutQueue,
		ConflictPolicy:  server.ConflictPolicy(c.C2S.ConflictPolicy),
		MaxIPFailures:   c.Auth.MaxFailures,
		FailureWindow:   c.Auth.FailureWindow.Duration,
		SCRAMIterations: c.Auth.SCRAMIterations,
		HideVersion:     c.Disco.HideVersion,
		Version:         Version,
		Logger:          a.log,
	}
}

// startXMPP builds the session core, registers the IQ services, loads the
// TLS certificate and starts the admin socket and the c2s listeners, in
// that order (each registered with a.started).
func (a *App) startXMPP(_ context.Context) error {
	core := server.NewCore(a.store, a.coreOptions())
	core.RegisterServices()
	a.xmpp.core = core
	a.started("sessions", core.Shutdown)

	cert, generated, err := tlsutil.Load(a.cfg.TLS.Cert, a.cfg.TLS.Key, a.cfg.DataDir, a.cfg.Domains)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	if generated {
		a.log.Warn().Str("cert", filepath.Join(a.cfg.DataDir, tlsutil.SelfSignedCert)).
			Msg("generated a self-signed certificate: clients will not trust it; set tls.cert and tls.key")
	}
	a.xmpp.tls = tlsutil.ServerConfig(cert)

	adm, err := admin.Listen(filepath.Join(a.cfg.DataDir, admin.SocketName), core, a.log)
	if err != nil {
		return err
	}
	a.xmpp.admin = adm
	a.started("admin socket", func(context.Context) error { return adm.Close() })
	if err := a.subscribeAdmin(adm); err != nil {
		return err
	}
	registerIM(core, a.cfg.IM, adm, a.log)

	srv := c2s.New(core, c2s.Config{
		Listen:           a.cfg.C2S.Listen,
		DirectTLSListen:  a.cfg.C2S.DirectTLSListen,
		TLS:              a.xmpp.tls,
		HandshakeTimeout: a.cfg.C2S.HandshakeTimeout.Duration,
		MaxStanzaSize:    a.cfg.C2S.MaxStanzaSize,
		Logger:           a.log,
	})
	if err := srv.Start(); err != nil {
		return err
	}
	a.xmpp.c2s = srv
	a.c2sAddrs = srv.Addrs()
	a.started("c2s", srv.Shutdown)
	return nil
}

// subscribeAdmin applies admin changes notified through storage
// (PostgreSQL LISTEN/NOTIFY) when the backend carries notifications, so
// that a CLI that cannot reach the admin socket still ends sessions live.
func (a *App) subscribeAdmin(adm *admin.Server) error {
	n, ok := a.store.(storage.Notifier)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, err := adm.Subscribe(ctx, n)
	if err != nil {
		cancel()
		return fmt.Errorf("admin notifications: %w", err)
	}
	a.started("admin notifications", func(context.Context) error {
		cancel()
		<-done
		return nil
	})
	return nil
}
