package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-xmpp/parley/storage"
)

// CreateAccount implements storage.Accounts.
func (s *Store) CreateAccount(ctx context.Context, domain, local string, creds []storage.Credential) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts (domain, localpart, disabled, created_at)
			VALUES (?, ?, 0, ?) ON CONFLICT DO NOTHING`, domain, local, formatTime(time.Now()))
		if err != nil {
			return wrap("create account", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wrapKey(domain, local, storage.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO roster_versions (domain, localpart, version)
			VALUES (?, ?, 0)`, domain, local); err != nil {
			return wrap("create account", err)
		}
		return insertCreds(ctx, tx, domain, local, creds)
	})
}

func insertCreds(ctx context.Context, tx *sql.Tx, domain, local string, creds []storage.Credential) error {
	for _, c := range creds {
		if _, err := tx.ExecContext(ctx, `INSERT INTO credentials
			(domain, localpart, hash, salt, iterations, stored_key, server_key)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
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
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE domain = ? AND localpart = ?`, domain, local)
		if err != nil {
			return wrap("delete account", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(domain, local)
		}
		return nil
	})
}

// Account implements storage.Accounts.
func (s *Store) Account(ctx context.Context, domain, local string) (storage.Account, error) {
	a := storage.Account{Domain: domain, Localpart: local}
	var created string
	err := s.queryRow(ctx, `SELECT disabled, created_at FROM accounts WHERE domain = ? AND localpart = ?`,
		[]any{domain, local}, &a.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.Account{}, notFound(domain, local)
	}
	if err != nil {
		return storage.Account{}, wrap("account", err)
	}
	a.CreatedAt, err = parseTime(created)
	return a, wrap("account", err)
}

type scanner interface{ Scan(dest ...any) error }

func scanAccount(row scanner) (storage.Account, error) {
	var a storage.Account
	var created string
	if err := row.Scan(&a.Domain, &a.Localpart, &a.Disabled, &created); err != nil {
		return a, err
	}
	t, err := parseTime(created)
	a.CreatedAt = t
	return a, err
}

// ListAccounts implements storage.Accounts. SQLite's default BINARY
// collation sorts bytewise.
func (s *Store) ListAccounts(ctx context.Context, domain string) ([]storage.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT domain, localpart, disabled, created_at FROM accounts
		WHERE ? = '' OR domain = ? ORDER BY domain, localpart`, domain, domain)
	if err != nil {
		return nil, wrap("list accounts", err)
	}
	defer rows.Close()
	var out []storage.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrap("list accounts", err)
		}
		out = append(out, a)
	}
	return out, wrap("list accounts", rows.Err())
}

// SetCredentials implements storage.Accounts.
func (s *Store) SetCredentials(ctx context.Context, domain, local string, creds []storage.Credential) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, domain, local); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE domain = ? AND localpart = ?`,
			domain, local); err != nil {
			return wrap("set credentials", err)
		}
		return insertCreds(ctx, tx, domain, local, creds)
	})
}

func exists(ctx context.Context, tx *sql.Tx, domain, local string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE domain = ? AND localpart = ?`,
		domain, local).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(domain, local)
	}
	return wrap("account", err)
}

// Credentials implements storage.Accounts.
func (s *Store) Credentials(ctx context.Context, domain, local string) ([]storage.Credential, error) {
	_, creds, err := s.AccountCredentials(ctx, domain, local)
	return creds, err
}

// AccountCredentials implements storage.Accounts: one statement, so one
// snapshot.
func (s *Store) AccountCredentials(ctx context.Context, domain, local string) (storage.Account, []storage.Credential, error) {
	rows, err := s.query(ctx, `SELECT a.disabled, a.created_at,
		c.hash, c.salt, c.iterations, c.stored_key, c.server_key
		FROM accounts a LEFT JOIN credentials c ON c.domain = a.domain AND c.localpart = a.localpart
		WHERE a.domain = ? AND a.localpart = ? ORDER BY c.hash`, domain, local)
	if err != nil {
		return storage.Account{}, nil, wrap("credentials", err)
	}
	defer rows.Close()
	acct := storage.Account{Domain: domain, Localpart: local}
	found := false
	var created string
	var out []storage.Credential
	for rows.Next() {
		var hash sql.NullString
		var iterations sql.NullInt64
		var c storage.Credential
		if err := rows.Scan(&acct.Disabled, &created, &hash, &c.Salt, &iterations, &c.StoredKey, &c.ServerKey); err != nil {
			return storage.Account{}, nil, wrap("credentials", err)
		}
		found = true
		if hash.Valid {
			c.Hash, c.Iterations = hash.String, int(iterations.Int64)
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return storage.Account{}, nil, wrap("credentials", err)
	}
	if !found {
		return storage.Account{}, nil, notFound(domain, local)
	}
	if acct.CreatedAt, err = parseTime(created); err != nil {
		return storage.Account{}, nil, wrap("credentials", err)
	}
	return acct, out, nil
}

// SetDisabled implements storage.Accounts.
func (s *Store) SetDisabled(ctx context.Context, domain, local string, disabled bool) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET disabled = ? WHERE domain = ? AND localpart = ?`,
			disabled, domain, local)
		if err != nil {
			return wrap("set disabled", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(domain, local)
		}
		return nil
	})
}
