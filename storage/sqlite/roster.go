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

// rosterJoin reads a roster's version and items in one statement, so from
// one snapshot: a user with an empty roster gets one row whose item
// columns are NULL (has_item 0); no row means no account.
const rosterJoin = `SELECT v.version, r.contact IS NOT NULL, COALESCE(r.contact, ''),
	COALESCE(r.name, ''), COALESCE(r.subscription, 'none'), COALESCE(r.ask, 0),
	COALESCE(r.pending_in, 0), COALESCE(r.pending_in_stanza, ''), COALESCE(r.pre_approved, 0),
	COALESCE(r.groups, '[]'), COALESCE(r.pending_only, 0)
	FROM roster_versions v LEFT JOIN roster_items r ON r.domain = v.domain AND r.localpart = v.localpart
	WHERE v.domain = ? AND v.localpart = ? ORDER BY r.contact`

// Roster implements storage.Rosters.
func (s *Store) Roster(ctx context.Context, domain, local string) ([]storage.RosterItem, int64, error) {
	rows, err := s.query(ctx, rosterJoin, domain, local)
	if err != nil {
		return nil, 0, wrap("roster", err)
	}
	defer rows.Close()
	var items []storage.RosterItem
	var ver int64
	found := false
	for rows.Next() {
		var has bool
		var it storage.RosterItem
		var sub, groups string
		if err := rows.Scan(&ver, &has, &it.Contact, &it.Name, &sub, &it.Ask, &it.PendingIn,
			&it.PendingInStanza, &it.PreApproved, &groups, &it.PendingOnly); err != nil {
			return nil, 0, wrap("roster", err)
		}
		found = true
		if !has {
			continue
		}
		if err := finishItem(&it, sub, groups); err != nil {
			return nil, 0, wrap("roster", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("roster", err)
	}
	if !found {
		return nil, 0, notFound(domain, local)
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
	return it, finishItem(&it, sub, groups)
}

// finishItem sets the subscription and the groups (a JSON array) of a
// scanned item.
func finishItem(it *storage.RosterItem, sub, groups string) error {
	it.Subscription = storage.Subscription(sub)
	if groups == "[]" {
		return nil
	}
	if err := json.Unmarshal([]byte(groups), &it.Groups); err != nil {
		return fmt.Errorf("groups of %q: %w", it.Contact, err)
	}
	if len(it.Groups) == 0 {
		it.Groups = nil
	}
	return nil
}

// RosterItem implements storage.Rosters.
func (s *Store) RosterItem(ctx context.Context, domain, local, contact string) (storage.RosterItem, error) {
	var it storage.RosterItem
	var sub, groups string
	err := s.queryRow(ctx, `SELECT `+itemColumns+` FROM roster_items
		WHERE domain = ? AND localpart = ? AND contact = ?`, []any{domain, local, contact},
		&it.Contact, &it.Name, &sub, &it.Ask, &it.PendingIn, &it.PendingInStanza, &it.PreApproved, &groups, &it.PendingOnly)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.RosterItem{}, fmt.Errorf("sqlite: roster item %q of %q at %q: %w", contact, local, domain, storage.ErrNotFound)
	}
	if err == nil {
		err = finishItem(&it, sub, groups)
	}
	return it, wrap("roster item", err)
}

// RosterVersion implements storage.Rosters.
func (s *Store) RosterVersion(ctx context.Context, domain, local string) (int64, error) {
	var v int64
	err := s.queryRow(ctx, `SELECT version FROM roster_versions WHERE domain = ? AND localpart = ?`,
		[]any{domain, local}, &v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(domain, local)
	}
	return v, wrap("roster version", err)
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
