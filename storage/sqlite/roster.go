package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parley-xmpp/parley/storage"
)

const itemColumns = `contact, name, subscription, ask, pending_in, pending_in_stanza, pre_approved, groups, pending_only`

// Roster implements storage.Rosters.
func (s *Store) Roster(ctx context.Context, domain, local string) ([]storage.RosterItem, int64, error) {
	var items []storage.RosterItem
	var ver int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		if ver, err = version(ctx, tx, domain, local); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM roster_items
			WHERE domain = ? AND localpart = ? ORDER BY contact`, domain, local)
		if err != nil {
			return wrap("roster", err)
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				return wrap("roster", err)
			}
			items = append(items, it)
		}
		return wrap("roster", rows.Err())
	})
	if err != nil {
		return nil, 0, err
	}
	return items, ver, nil
}

func version(ctx context.Context, tx *sql.Tx, domain, local string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM roster_versions WHERE domain = ? AND localpart = ?`,
		domain, local).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(domain, local)
	}
	return v, wrap("roster version", err)
}

func scanItem(row scanner) (storage.RosterItem, error) {
	var it storage.RosterItem
	var sub, groups string
	if err := row.Scan(&it.Contact, &it.Name, &sub, &it.Ask, &it.PendingIn,
		&it.PendingInStanza, &it.PreApproved, &groups, &it.PendingOnly); err != nil {
		return it, err
	}
	it.Subscription = storage.Subscription(sub)
	if err := json.Unmarshal([]byte(groups), &it.Groups); err != nil {
		return it, fmt.Errorf("groups of %q: %w", it.Contact, err)
	}
	if len(it.Groups) == 0 {
		it.Groups = nil
	}
	return it, nil
}

// RosterItem implements storage.Rosters.
func (s *Store) RosterItem(ctx context.Context, domain, local, contact string) (storage.RosterItem, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM roster_items
		WHERE domain = ? AND localpart = ? AND contact = ?`, domain, local, contact)
	it, err := scanItem(row)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("sqlite: roster item %q of %q at %q: %w", contact, local, domain, storage.ErrNotFound)
	}
	return it, wrap("roster item", err)
}

// RosterVersion implements storage.Rosters.
func (s *Store) RosterVersion(ctx context.Context, domain, local string) (int64, error) {
	var v int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = version(ctx, tx, domain, local)
		return err
	})
	return v, err
}

// UpdateRosterItem implements storage.Rosters. The transaction starts with
// BEGIN IMMEDIATE, so it holds the write lock from the read on.
func (s *Store) UpdateRosterItem(ctx context.Context, domain, local, contact string,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (*storage.RosterItem, int64, error) {
	var next *storage.RosterItem
	var ver int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if ver, err = version(ctx, tx, domain, local); err != nil {
			return err
		}
		cur, err := currentItem(ctx, tx, domain, local, contact)
		if err != nil {
			return err
		}
		var changed bool
		next, changed, err = applyChange(ctx, tx, domain, local, contact, cur, fn)
		if err != nil || !changed {
			return err
		}
		ver++
		_, err = tx.ExecContext(ctx, `UPDATE roster_versions SET version = ? WHERE domain = ? AND localpart = ?`,
			ver, domain, local)
		return wrap("roster version", err)
	})
	if err != nil {
		return nil, 0, err
	}
	return next, ver, nil
}

func currentItem(ctx context.Context, tx *sql.Tx, domain, local, contact string) (*storage.RosterItem, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM roster_items
		WHERE domain = ? AND localpart = ? AND contact = ?`, domain, local, contact)
	it, err := scanItem(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("roster item", err)
	}
	return &it, nil
}

// applyChange runs fn and writes its result when it differs from cur.
func applyChange(ctx context.Context, tx *sql.Tx, domain, local, contact string, cur *storage.RosterItem,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (*storage.RosterItem, bool, error) {
	next, changed, err := storage.ApplyRosterFunc(contact, cur, fn)
	if err != nil || !changed {
		return next, false, err
	}
	if next == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM roster_items WHERE domain = ? AND localpart = ? AND contact = ?`,
			domain, local, contact)
		return nil, true, wrap("delete roster item", err)
	}
	groups := []byte("[]")
	if next.Groups != nil {
		if groups, err = json.Marshal(next.Groups); err != nil {
			return nil, false, err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO roster_items (domain, localpart, `+itemColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (domain, localpart, contact) DO UPDATE SET
		name = excluded.name, subscription = excluded.subscription, ask = excluded.ask,
		pending_in = excluded.pending_in, pending_in_stanza = excluded.pending_in_stanza,
		pre_approved = excluded.pre_approved, groups = excluded.groups,
		pending_only = excluded.pending_only`,
		domain, local, next.Contact, next.Name, string(next.Subscription), next.Ask, next.PendingIn,
		next.PendingInStanza, next.PreApproved, string(groups), next.PendingOnly)
	return next, true, wrap("store roster item", err)
}
