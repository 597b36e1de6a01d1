package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/parley-xmpp/parley/storage"
)

// accountExists fails with ErrNotFound when the account does not exist.
func accountExists(ctx context.Context, tx *sql.Tx, domain, local string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE domain = ? AND localpart = ?`,
		domain, local).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(domain, local)
	}
	return wrap("account", err)
}

// StoreOffline implements storage.Offline.
func (s *Store) StoreOffline(ctx context.Context, domain, local, xml string, limit int) (int64, error) {
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, domain, local); err != nil {
			return err
		}
		if limit > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM offline_messages
				WHERE domain = ? AND localpart = ?`, domain, local).Scan(&n); err != nil {
				return wrap("count offline messages", err)
			}
			if n >= limit {
				return wrapKey(domain, local, fmt.Errorf("%d offline messages: %w", n, storage.ErrLimit))
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO offline_messages (domain, localpart, stored_at, xml)
			VALUES (?, ?, ?, ?) RETURNING id`, domain, local, formatTime(time.Now()), xml).Scan(&id)
		return wrap("store offline message", err)
	})
	return id, err
}

// OfflineMessages implements storage.Offline.
func (s *Store) OfflineMessages(ctx context.Context, domain, local string) ([]storage.OfflineMessage, error) {
	rows, err := s.query(ctx, `SELECT id, stored_at, xml FROM offline_messages
		WHERE domain = ? AND localpart = ? ORDER BY id`, domain, local)
	if err != nil {
		return nil, wrap("offline messages", err)
	}
	defer rows.Close()
	var out []storage.OfflineMessage
	for rows.Next() {
		var m storage.OfflineMessage
		var at string
		if err := rows.Scan(&m.ID, &at, &m.XML); err != nil {
			return nil, wrap("offline messages", err)
		}
		if m.Stored, err = parseTime(at); err != nil {
			return nil, wrap("offline messages", err)
		}
		out = append(out, m)
	}
	return out, wrap("offline messages", rows.Err())
}

// DeleteOffline implements storage.Offline.
func (s *Store) DeleteOffline(ctx context.Context, domain, local string, upTo int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM offline_messages
			WHERE domain = ? AND localpart = ? AND id <= ?`, domain, local, upTo)
		return wrap("delete offline messages", err)
	})
}

// VCard implements storage.VCards.
func (s *Store) VCard(ctx context.Context, domain, local string) (string, error) {
	var xml string
	err := s.queryRow(ctx, `SELECT xml FROM vcards WHERE domain = ? AND localpart = ?`,
		[]any{domain, local}, &xml)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: vcard of %q at %q: %w", local, domain, storage.ErrNotFound)
	}
	return xml, wrap("vcard", err)
}

// SetVCard implements storage.VCards.
func (s *Store) SetVCard(ctx context.Context, domain, local, xml string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, domain, local); err != nil {
			return err
		}
		var err error
		if xml == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM vcards WHERE domain = ? AND localpart = ?`, domain, local)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO vcards (domain, localpart, xml) VALUES (?, ?, ?)
				ON CONFLICT (domain, localpart) DO UPDATE SET xml = excluded.xml`, domain, local, xml)
		}
		return wrap("store vcard", err)
	})
}

// PrivateXML implements storage.PrivateXML.
func (s *Store) PrivateXML(ctx context.Context, domain, local, ns, name string) (string, error) {
	var xml string
	err := s.queryRow(ctx, `SELECT xml FROM private_xml
		WHERE domain = ? AND localpart = ? AND ns = ? AND name = ?`, []any{domain, local, ns, name}, &xml)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: private XML {%s}%s of %q at %q: %w", ns, name, local, domain, storage.ErrNotFound)
	}
	return xml, wrap("private XML", err)
}

// SetPrivateXML implements storage.PrivateXML.
func (s *Store) SetPrivateXML(ctx context.Context, domain, local, ns, name, xml string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, domain, local); err != nil {
			return err
		}
		var err error
		if xml == "" {
			_, err = tx.ExecContext(ctx, `DELETE FROM private_xml
				WHERE domain = ? AND localpart = ? AND ns = ? AND name = ?`, domain, local, ns, name)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO private_xml (domain, localpart, ns, name, xml)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (domain, localpart, ns, name) DO UPDATE SET xml = excluded.xml`,
				domain, local, ns, name, xml)
		}
		return wrap("store private XML", err)
	})
}
