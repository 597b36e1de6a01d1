package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

var checkCmd = &command{
	name:    "check",
	summary: "validate the configuration and, for PostgreSQL, the database",
	run:     runCheck,
}

func runCheck(e *env, args []string) error {
	flags := e.flags("", "Validates the configuration file (every key, type and value). With\n"+
		"PostgreSQL it also checks that the database is reachable and migrated;\n"+
		"with SQLite, that an existing database file is migrated.")
	if _, err := e.parse(flags, args, 0, 0); err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	src := e.config
	if src == "" {
		src = "built-in defaults"
	}
	if cfg.TLS.Cert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key); err != nil {
			return fmt.Errorf("tls.cert/tls.key: %v", err)
		}
	}
	fmt.Fprintf(e.stdout, "%s: configuration is valid (domains: %v)\n", src, cfg.Domains)
	if cfg.Storage.Driver == "sqlite" {
		if _, err := os.Stat(cfg.Storage.DSN); errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(e.stdout, "sqlite database %s does not exist yet: parley serve creates it\n", cfg.Storage.DSN)
			return nil
		}
	}
	store, err := openStore(e.ctx, cfg, false)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, available, err := store.MigrationStatus(e.ctx)
	switch {
	case err != nil:
		return fmt.Errorf("database: %w", err)
	case applied > available:
		return fmt.Errorf("database is newer than this binary (%d migrations applied, %d known): upgrade parley", applied, available)
	case applied < available:
		return fmt.Errorf("database is not migrated: %d of %d migrations pending; run 'parley migrate'", available-applied, available)
	}
	fmt.Fprintf(e.stdout, "%s database: reachable, %d migrations applied, up to date\n", cfg.Storage.Driver, applied)
	return nil
}
