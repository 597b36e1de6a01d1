package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/parley-xmpp/parley/bosh"
	"github.com/parley-xmpp/parley/web"
)

// httpParts are the HTTP side of the server: the BOSH endpoint, the web
// client and the servers on every configured address.
type httpParts struct {
	bosh    *bosh.Handler
	web     *web.Handler
	servers []*http.Server
}

// BOSH returns the BOSH endpoint (valid after Start).
func (a *App) BOSH() *bosh.Handler { return a.http.bosh }

// Web returns the web client handler (valid after Start; nil when the web
// client is disabled).
func (a *App) Web() *web.Handler { return a.http.web }

// boshConfig maps the configuration onto the BOSH binding's settings.
func (a *App) boshConfig() bosh.Config {
	c := a.cfg
	bc := bosh.DefaultConfig()
	bc.Path = c.BOSH.Path
	bc.MaxWait = c.BOSH.MaxWait.Duration
	bc.MaxHold = c.BOSH.MaxHold
	bc.Inactivity = c.BOSH.MaxInactivity.Duration
	bc.MaxPause = c.BOSH.MaxPause.Duration
	bc.Polling = c.BOSH.Polling.Duration
	bc.MaxBody = int64(c.BOSH.MaxBody)
	bc.CORSOrigins = c.BOSH.CORSOrigins
	bc.SeeOtherURI = c.BOSH.Redirect
	bc.TrustedProxies = c.HTTP.TrustedProxies
	return bc
}

// newMux builds the HTTP routes: BOSH on its path (POST and OPTIONS), and
// the web client on / and on GET of the BOSH path when it is enabled.
func (a *App) newMux() (*http.ServeMux, error) {
	h := bosh.NewHandler(a.boshConfig(), bosh.ServerCore(a.xmpp.core), a.log.With().Str("transport", "bosh").Logger())
	a.http.bosh = h
	mux := http.NewServeMux()
	mux.Handle(h.Path(), h)
	if !a.cfg.Web.Enabled {
		return mux, nil
	}
	wh, err := web.New(web.Config{
		Title:        a.cfg.Web.Title,
		BOSHPath:     h.Path(),
		Domains:      a.cfg.Domains,
		Options:      a.cfg.Web.Options(),
		TrustedProxy: h.TrustedProxy,
	})
	if err != nil {
		return nil, fmt.Errorf("web client: %w", err)
	}
	if !wh.Included() {
		a.log.Warn().Msg("this binary was built without the web client: / explains how to include it (make web)")
	}
	a.http.web = wh
	wh.Routes(mux)
	return mux, nil
}

// startHTTP binds every http.listen and http.tls_listen address and serves
// the routes on them. Shutdown first answers every held BOSH request
// (XEP-0124 §17.2 system-shutdown), then stops the servers.
func (a *App) startHTTP(_ context.Context) error {
	mux, err := a.newMux()
	if err != nil {
		return err
	}
	a.started("http", a.stopHTTP)
	a.serveReturned(mux)
	for _, addr := range a.cfg.HTTP.Listen {
		if err := a.serveHTTP(mux, addr, nil); err != nil {
			return err
		}
	}
	for _, addr := range a.cfg.HTTP.TLSListen {
		if err := a.serveHTTP(mux, addr, a.xmpp.tls); err != nil {
			return err
		}
	}
	return nil
}

// serveHTTP listens on addr (with TLS when tc is set) and serves h there.
// The servers have no WriteTimeout: a held BOSH request sets its own write
// deadline (XEP-0124 §7.2 'wait').
func (a *App) serveHTTP(h http.Handler, addr string, tc *tls.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("http listen %s: %w", addr, err)
	}
	scheme := "http"
	if tc != nil {
		ln = tls.NewListener(ln, tc)
		scheme = "https"
	}
	srv := a.newHTTPServer(h)
	a.http.servers = append(a.http.servers, srv)
	a.httpAddrs = append(a.httpAddrs, ln.Addr())
	a.log.Info().Str("addr", ln.Addr().String()).Str("scheme", scheme).Msg("http listening")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Str("addr", ln.Addr().String()).Msg("http server stopped")
		}
	}()
	return nil
}

// serveReturned serves the connections the BOSH endpoint took over and
// hands back when they carry a request for another path (bosh.Returned).
func (a *App) serveReturned(h http.Handler) {
	srv := a.newHTTPServer(h)
	a.http.servers = append(a.http.servers, srv)
	ln := a.http.bosh.Returned()
	go func() { _ = srv.Serve(ln) }()
}

// newHTTPServer is the configuration of every HTTP server.
func (a *App) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// stopHTTP answers held BOSH requests, ends BOSH sessions, then shuts the
// HTTP servers down and closes the connections BOSH took over.
func (a *App) stopHTTP(ctx context.Context) error {
	var errs []error
	if a.http.bosh != nil {
		errs = append(errs, a.http.bosh.Shutdown(ctx))
	}
	for _, s := range a.http.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	a.http.servers = nil
	if a.http.bosh != nil {
		a.http.bosh.Close()
	}
	return errors.Join(errs...)
}

// startPprof serves net/http/pprof on debug.pprof_listen (loopback only,
// checked by config validation) when it is set.
func (a *App) startPprof(_ context.Context) error {
	addr := a.cfg.Debug.PprofListen
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.log.Info().Str("addr", ln.Addr().String()).Msg("pprof listening")
	go srv.Serve(ln)
	a.started("pprof", srv.Shutdown)
	return nil
}
