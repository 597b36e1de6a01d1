package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/parley-xmpp/parley/storage"
)

// CreateAccount implements storage.Accounts.
func (s *Store) CreateAccount(ctx context.Context, domain, local string, creds []storage.Credential) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO accounts (domain, localpart) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, domain, local)
		if err != nil {
			return wrap("create account", err)
		}
		if tag.RowsAffected() == 0 {
			return wrapKey(domain, local, storage.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO roster_versions (domain, localpart) VALUES ($1, $2)`,
			domain, local); err != nil {
			return wrap("create account", err)
		}
		return insertCreds(ctx, tx, domain, local, creds)
	})
}

func insertCreds(ctx context.Context, tx pgx.Tx, domain, local string, creds []storage.Credential) error {
	for _, c := range creds {
		if _, err := tx.Exec(ctx, `INSERT INTO credentials
			(domain, localpart, hash, salt, iterations, stored_key, server_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			domain, local, c.Hash, nonNil(c.Salt), c.Iterations, nonNil(c.StoredKey), nonNil(c.ServerKey)); err != nil {
			return wrap("store credentials", err)
		}
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// DeleteAccount implements storage.Accounts; foreign keys cascade the
// delete to credentials, roster and version.
func (s *Store) DeleteAccount(ctx context.Context, domain, local string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM accounts WHERE domain = $1 AND localpart = $2`, domain, local)
	if err != nil {
		return wrap("delete account", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(domain, local)
	}
	return nil
}

const accountColumns = `domain, localpart, disabled, created_at`

// Account implements storage.Accounts.
func (s *Store) Account(ctx context.Context, domain, local string) (storage.Account, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE domain = $1 AND localpart = $2`, domain, local)
	a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, notFound(domain, local)
	}
	return a, wrap("account", err)
}

func scanAccount(row pgx.CollectableRow) (storage.Account, error) {
	var a storage.Account
	err := row.Scan(&a.Domain, &a.Localpart, &a.Disabled, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// ListAccounts implements storage.Accounts, sorted bytewise (COLLATE "C")
// whatever the database's collation.
func (s *Store) ListAccounts(ctx context.Context, domain string) ([]storage.Account, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE $1 = '' OR domain = $1 ORDER BY domain COLLATE "C", localpart COLLATE "C"`, domain)
	out, err := pgx.CollectRows(rows, scanAccount)
	return out, wrap("list accounts", err)
}

// SetCredentials implements storage.Accounts.
func (s *Store) SetCredentials(ctx context.Context, domain, local string, creds []storage.Credential) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE domain = $1 AND localpart = $2 FOR UPDATE`,
			domain, local).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound(domain, local)
		}
		if err != nil {
			return wrap("set credentials", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM credentials WHERE domain = $1 AND localpart = $2`,
			domain, local); err != nil {
			return wrap("set credentials", err)
		}
		return insertCreds(ctx, tx, domain, local, creds)
	})
}

// Credentials implements storage.Accounts.
func (s *Store) Credentials(ctx context.Context, domain, local string) ([]storage.Credential, error) {
	_, creds, err := s.AccountCredentials(ctx, domain, local)
	return creds, err
}

// AccountCredentials implements storage.Accounts. One statement: the
// account and its credentials are read from one snapshot, in one round
// trip.
func (s *Store) AccountCredentials(ctx context.Context, domain, local string) (storage.Account, []storage.Credential, error) {
	rows, _ := s.pool.Query(ctx, `SELECT a.disabled, a.created_at,
		c.hash, c.salt, c.iterations, c.stored_key, c.server_key
		FROM accounts a LEFT JOIN credentials c ON c.domain = a.domain AND c.localpart = a.localpart
		WHERE a.domain = $1 AND a.localpart = $2 ORDER BY c.hash COLLATE "C"`, domain, local)
	type nullable struct {
		hash       *string
		salt       []byte
		iterations *int
		stored     []byte
		server     []byte
	}
	acct := storage.Account{Domain: domain, Localpart: local}
	found := false
	var out []storage.Credential
	var n nullable
	_, err := pgx.ForEachRow(rows, []any{&acct.Disabled, &acct.CreatedAt,
		&n.hash, &n.salt, &n.iterations, &n.stored, &n.server}, func() error {
		found = true
		if n.hash != nil {
			out = append(out, storage.Credential{Hash: *n.hash, Salt: n.salt, Iterations: *n.iterations,
				StoredKey: n.stored, ServerKey: n.server})
		}
		return nil
	})
	if err != nil {
		return storage.Account{}, nil, wrap("credentials", err)
	}
	if !found {
		return storage.Account{}, nil, notFound(domain, local)
	}
	acct.CreatedAt = acct.CreatedAt.UTC()
	return acct, out, nil
}

// SetDisabled implements storage.Accounts.
func (s *Store) SetDisabled(ctx context.Context, domain, local string, disabled bool) error {
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET disabled = $3 WHERE domain = $1 AND localpart = $2`,
		domain, local, disabled)
	if err != nil {
		return wrap("set disabled", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound(domain, local)
	}
	return nil
}
