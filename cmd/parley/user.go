package main

import (
	"errors"
	"fmt"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
)

var userCmd = &command{
	name: "user",
	subs: []*command{
		{name: "add", summary: "create an account: user add JID [--password-stdin]", run: runUserAdd},
		{name: "add-bulk", summary: "create PREFIX1..PREFIXN: user add-bulk PREFIX COUNT --password-stdin", run: runUserAddBulk},
		{name: "del", summary: "delete an account and all its data: user del JID", run: runUserDel},
		{name: "passwd", summary: "set a new password: user passwd JID [--password-stdin]", run: runUserPasswd},
		{name: "list", summary: "list accounts: user list [DOMAIN]", run: runUserList},
	},
}

func runUserAdd(e *env, args []string) error {
	fs := e.flags("JID", "Creates the account JID. The password is asked twice at a terminal\n"+
		"prompt without echo, or read from the first line of stdin with --password-stdin.")
	stdinPW := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		if _, err := u.store.Account(e.ctx, u.j.Domainpart(), u.j.Localpart()); err == nil {
			return fmt.Errorf("user %s already exists", u.j)
		}
		pw, err := e.readPassword(u.j.String(), *stdinPW)
		if err != nil {
			return err
		}
		creds, err := credentials(pw, u.cfg.Auth.SCRAMIterations)
		if err != nil {
			return err
		}
		err = u.store.CreateAccount(e.ctx, u.j.Domainpart(), u.j.Localpart(), creds)
		if errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("user %s already exists", u.j)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created %s\n", u.j)
		return nil
	})
}

func runUserDel(e *env, args []string) error {
	fs := e.flags("JID", "Deletes the account JID with its roster and all its data, and ends\nits sessions on a running server.")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		if err := u.store.DeleteAccount(e.ctx, u.j.Domainpart(), u.j.Localpart()); err != nil {
			return noSuchUser(u.j, err)
		}
		u.kick("deleted")
		fmt.Fprintf(e.stdout, "deleted %s\n", u.j)
		return nil
	})
}

func runUserPasswd(e *env, args []string) error {
	fs := e.flags("JID", "Sets a new password for JID (asked at a terminal prompt, or read from\n"+
		"stdin with --password-stdin) and ends its sessions on a running server.")
	stdinPW := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	return e.withUser(pos[0], func(u *userCtx) error {
		if _, err := u.store.Account(e.ctx, u.j.Domainpart(), u.j.Localpart()); err != nil {
			return noSuchUser(u.j, err)
		}
		pw, err := e.readPassword(u.j.String(), *stdinPW)
		if err != nil {
			return err
		}
		creds, err := credentials(pw, u.cfg.Auth.SCRAMIterations)
		if err != nil {
			return err
		}
		if err := u.store.SetCredentials(e.ctx, u.j.Domainpart(), u.j.Localpart(), creds); err != nil {
			return noSuchUser(u.j, err)
		}
		u.kick("password")
		fmt.Fprintf(e.stdout, "password of %s changed\n", u.j)
		return nil
	})
}

func runUserList(e *env, args []string) error {
	fs := e.flags("[DOMAIN]", "Lists the accounts of DOMAIN, or of every domain, one JID a line.")
	pos, err := e.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	domain := ""
	if len(pos) == 1 {
		if domain, err = jid.NormalizeDomain(pos[0]); err != nil {
			return fmt.Errorf("invalid domain %q: %v", pos[0], err)
		}
	}
	store, err := openStore(e.ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	accounts, err := store.ListAccounts(e.ctx, domain)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		line := a.Localpart + "@" + a.Domain
		if a.Disabled {
			line += "\t(disabled)"
		}
		fmt.Fprintln(e.stdout, line)
	}
	return nil
}
