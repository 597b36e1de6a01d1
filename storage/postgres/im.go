package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parley-xmpp/parley/storage"
)

// lockAccount fails with ErrNotFound when the account does not exist; it
// locks the account row so that per-user limits hold under concurrency.
func lockAccount(ctx context.Context, tx pgx.Tx, domain, local string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE domain = $1 AND localpart = $2 FOR UPDATE`,
		domain, local).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(domain, local)
	}
	return wrap("account", err)
}

// StoreOffline implements storage.Offline.
func (s *Store) StoreOffline(ctx context.Context, domain, local, xml string, limit int) (int64, error) {
	var id int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, domain, local); err != nil {
			return err
		}
		if limit > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM offline_messages
				WHERE domain = $1 AND localpart = $2`, domain, local).Scan(&n); err != nil {
				return wrap("count offline messages", err)
			}
			if n >= limit {
				return wrapKey(domain, local, fmt.Errorf("%d offline messages: %w", n, storage.ErrLimit))
			}
		}
		err := tx.QueryRow(ctx, `INSERT INTO offline_messages (domain, localpart, xml)
			VALUES ($1, $2, $3) RETURNING id`, domain, local, xml).Scan(&id)
		return wrap("store offline message", err)
	})
	return id, err
}

// OfflineMessages implements storage.Offline.
func (s *Store) OfflineMessages(ctx context.Context, domain, local string) ([]storage.OfflineMessage, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, stored_at, xml FROM offline_messages
		WHERE domain = $1 AND localpart = $2 ORDER BY id`, domain, local)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storage.OfflineMessage, error) {
		var m storage.OfflineMessage
		err := row.Scan(&m.ID, &m.Stored, &m.XML)
		m.Stored = m.Stored.UTC()
		return m, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, wrap("offline messages", err)
}

// DeleteOffline implements storage.Offline.
func (s *Store) DeleteOffline(ctx context.Context, domain, local string, upTo int64) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM offline_messages
		WHERE domain = $1 AND localpart = $2 AND id <= $3`, domain, local, upTo)
	return wrap("delete offline messages", err)
}

// VCard implements storage.VCards.
func (s *Store) VCard(ctx context.Context, domain, local string) (string, error) {
	var xml string
	err := s.pool.QueryRow(ctx, `SELECT xml FROM vcards WHERE domain = $1 AND localpart = $2`,
		domain, local).Scan(&xml)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: vcard of %q at %q: %w", local, domain, storage.ErrNotFound)
	}
	return xml, wrap("vcard", err)
}

// SetVCard implements storage.VCards.
func (s *Store) SetVCard(ctx context.Context, domain, local, xml string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, domain, local); err != nil {
			return err
		}
		var err error
		if xml == "" {
			_, err = tx.Exec(ctx, `DELETE FROM vcards WHERE domain = $1 AND localpart = $2`, domain, local)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO vcards (domain, localpart, xml) VALUES ($1, $2, $3)
				ON CONFLICT (domain, localpart) DO UPDATE SET xml = excluded.xml`, domain, local, xml)
		}
		return wrap("store vcard", err)
	})
}

// PrivateXML implements storage.PrivateXML.
func (s *Store) PrivateXML(ctx context.Context, domain, local, ns, name string) (string, error) {
	var xml string
	err := s.pool.QueryRow(ctx, `SELECT xml FROM private_xml
		WHERE domain = $1 AND localpart = $2 AND ns = $3 AND name = $4`, domain, local, ns, name).Scan(&xml)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: private XML {%s}%s of %q at %q: %w", ns, name, local, domain, storage.ErrNotFound)
	}
	return xml, wrap("private XML", err)
}

// SetPrivateXML implements storage.PrivateXML.
func (s *Store) SetPrivateXML(ctx context.Context, domain, local, ns, name, xml string) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := lockAccount(ctx, tx, domain, local); err != nil {
			return err
		}
		var err error
		if xml == "" {
			_, err = tx.Exec(ctx, `DELETE FROM private_xml
				WHERE domain = $1 AND localpart = $2 AND ns = $3 AND name = $4`, domain, local, ns, name)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO private_xml (domain, localpart, ns, name, xml)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain, localpart, ns, name) DO UPDATE SET xml = excluded.xml`,
				domain, local, ns, name, xml)
		}
		return wrap("store private XML", err)
	})
}
