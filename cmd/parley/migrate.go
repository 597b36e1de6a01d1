package main

import (
	"fmt"
)

var migrateCmd = &command{
	name:    "migrate",
	summary: "apply pending database migrations; 'migrate status' only reports",
	run:     runMigrate,
}

func runMigrate(e *env, args []string) error {
	fs := e.flags("[status]", "Applies the pending schema migrations of the configured database\n"+
		"(parley serve also does this at start). 'parley migrate status' reports\n"+
		"how many are applied and pending without changing anything.")
	pos, err := e.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	status := len(pos) == 1
	if status && pos[0] != "status" {
		return usagef("unknown subcommand %q (expected status)", pos[0])
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	store, err := openStore(e.ctx, cfg, false)
	if err != nil {
		return err
	}
	defer store.Close()
	before, available, err := store.MigrationStatus(e.ctx)
	if err != nil {
		return err
	}
	if before > available {
		return fmt.Errorf("the database has %d migrations applied but this binary knows only %d: the database is newer than this binary; upgrade parley", before, available)
	}
	if status {
		fmt.Fprintf(e.stdout, "%s database: %d of %d migrations applied", cfg.Storage.Driver, before, available)
		if before < available {
			fmt.Fprintf(e.stdout, ", %d pending: run 'parley migrate'\n", available-before)
		} else {
			fmt.Fprintln(e.stdout, ", up to date")
		}
		return nil
	}
	if err := store.Migrate(e.ctx); err != nil {
		return err
	}
	after, _, err := store.MigrationStatus(e.ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s database: applied %d migration(s), %d of %d applied, up to date\n",
		cfg.Storage.Driver, after-before, after, available)
	return nil
}
