package main

import (
	"github.com/parley-xmpp/parley/app"
)

var serveCmd = &command{
	name:    "serve",
	summary: "run the server until SIGINT or SIGTERM",
	run:     runServe,
}

func runServe(e *env, args []string) error {
	fs := e.flags("", "Runs the server: opens and migrates the database, starts the\n"+
		"listeners, and stops cleanly on SIGINT or SIGTERM.")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	log, err := e.logger(cfg.Log.Level)
	if err != nil {
		return err
	}
	if e.config != "" {
		log.Info().Str("file", e.config).Msg("configuration loaded")
	} else {
		log.Info().Msg("no configuration file: using built-in defaults")
	}
	app.Version = version
	log.Info().Str("version", version).Msg("parley starting")
	a, err := app.New(e.ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.Run(e.ctx)
}
