package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/parley-xmpp/parley/server/jid"
	"github.com/parley-xmpp/parley/storage"
)

// maxBulk bounds user add-bulk.
const maxBulk = 1_000_000

func runUserAddBulk(e *env, args []string) error {
	fs := e.flags("PREFIX COUNT", "Creates the accounts PREFIX1 .. PREFIXCOUNT in --domain (default: the\n"+
		"first configured domain), all with the password read from stdin. Each\n"+
		"account gets its own salts; credentials are derived on every core.")
	stdinPW := fs.Bool("password-stdin", false, "read the password from the first line of stdin (required)")
	domainFlag := fs.String("domain", "", "`domain` of the accounts (default: the first configured domain)")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if !*stdinPW {
		return usagef("--password-stdin is required")
	}
	count, err := strconv.Atoi(pos[1])
	if err != nil || count < 1 || count > maxBulk {
		return usagef("COUNT must be an integer from 1 to %d, got %q", maxBulk, pos[1])
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return err
	}
	domain := *domainFlag
	if domain == "" {
		domain = cfg.DefaultDomain()
	}
	first, err := userJID(cfg, pos[0]+"1@"+domain)
	if err != nil {
		return err
	}
	locals, err := bulkLocals(pos[0], count)
	if err != nil {
		return err
	}
	pw, err := e.readPassword(first.String(), true)
	if err != nil {
		return err
	}
	store, err := openStore(e.ctx, cfg, true)
	if err != nil {
		return err
	}
	defer store.Close()
	start := time.Now()
	n, err := createBulk(e.ctx, store, first.Domainpart(), locals, pw, cfg.Auth.SCRAMIterations)
	if err != nil {
		return fmt.Errorf("%w (created %d of %d)", err, n, count)
	}
	fmt.Fprintf(e.stdout, "created %d accounts %s .. %s@%s in %s\n", n, first,
		locals[len(locals)-1], first.Domainpart(), time.Since(start).Round(time.Millisecond))
	return nil
}

// bulkLocals returns the normalised localparts prefix1 .. prefixN.
func bulkLocals(prefix string, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		l, err := jid.NormalizeLocalpart(prefix + strconv.Itoa(i+1))
		if err != nil {
			return nil, fmt.Errorf("invalid localpart %q: %v", prefix+strconv.Itoa(i+1), err)
		}
		out[i] = l
	}
	return out, nil
}

type bulkAccount struct {
	local string
	creds []storage.Credential
	err   error
}

// createBulk derives credentials for every localpart on all cores (each
// with its own salts) while one goroutine inserts the accounts. It stops at
// the first error and returns how many accounts it created.
func createBulk(ctx context.Context, store storage.Store, domain string, locals []string,
	password string, iterations int) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	results := make(chan bulkAccount, 64)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for l := range jobs {
				creds, err := credentials(password, iterations)
				select {
				case results <- bulkAccount{local: l, creds: creds, err: err}:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, l := range locals {
			select {
			case jobs <- l:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	created := 0
	for r := range results {
		err := r.err
		if err == nil {
			err = store.CreateAccount(ctx, domain, r.local, r.creds)
		}
		if errors.Is(err, storage.ErrConflict) {
			err = fmt.Errorf("user %s@%s already exists", r.local, domain)
		}
		if err != nil {
			cancel()
			return created, err
		}
		created++
	}
	return created, ctx.Err()
}
