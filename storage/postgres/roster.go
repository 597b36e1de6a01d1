package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parley-xmpp/parley/storage"
)

const itemColumns = `contact, name, subscription, ask, pending_in, pending_in_stanza, pre_approved, groups, pending_only`

// rosterJoin reads a roster's version and items in one statement, so from
// one snapshot and in one round trip: a user with an empty roster gets one
// row whose item columns are NULL (has_item false); no row means no
// account.
const rosterJoin = `SELECT v.version, r.contact IS NOT NULL, COALESCE(r.contact, ''),
	COALESCE(r.name, ''), COALESCE(r.subscription, 'none'), COALESCE(r.ask, FALSE),
	COALESCE(r.pending_in, FALSE), COALESCE(r.pending_in_stanza, ''), COALESCE(r.pre_approved, FALSE),
	COALESCE(r.groups, '{}'), COALESCE(r.pending_only, FALSE)
	FROM roster_versions v LEFT JOIN roster_items r ON r.domain = v.domain AND r.localpart = v.localpart
	WHERE v.domain = $1 AND v.localpart = $2 ORDER BY r.contact COLLATE "C"`

// Roster implements storage.Rosters. The version and the items are read in
// one statement, from one snapshot.
func (s *Store) Roster(ctx context.Context, domain, local string) ([]storage.RosterItem, int64, error) {
	rows, _ := s.pool.Query(ctx, rosterJoin, domain, local)
	var items []storage.RosterItem
	var ver int64
	found, has := false, false
	var it storage.RosterItem
	var sub string
	_, err := pgx.ForEachRow(rows, []any{&ver, &has, &it.Contact, &it.Name, &sub, &it.Ask, &it.PendingIn,
		&it.PendingInStanza, &it.PreApproved, &it.Groups, &it.PendingOnly}, func() error {
		found = true
		if has {
			it.Subscription = storage.Subscription(sub)
			if len(it.Groups) == 0 {
				it.Groups = nil
			}
			items = append(items, it)
			it = storage.RosterItem{}
		}
		return nil
	})
	if err != nil {
		return nil, 0, wrap("roster", err)
	}
	if !found {
		return nil, 0, notFound(domain, local)
	}
	return items, ver, nil
}

func version(ctx context.Context, q pgx.Tx, domain, local, suffix string) (int64, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT version FROM roster_versions WHERE domain = $1 AND localpart = $2`+suffix,
		domain, local).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound(domain, local)
	}
	return v, wrap("roster version", err)
}

func scanItem(row pgx.CollectableRow) (storage.RosterItem, error) {
	var it storage.RosterItem
	var sub string
	err := row.Scan(&it.Contact, &it.Name, &sub, &it.Ask, &it.PendingIn,
		&it.PendingInStanza, &it.PreApproved, &it.Groups, &it.PendingOnly)
	it.Subscription = storage.Subscription(sub)
	if len(it.Groups) == 0 {
		it.Groups = nil
	}
	return it, err
}

// RosterItem implements storage.Rosters.
func (s *Store) RosterItem(ctx context.Context, domain, local, contact string) (storage.RosterItem, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM roster_items
		WHERE domain = $1 AND localpart = $2 AND contact = $3`, domain, local, contact)
	it, err := pgx.CollectExactlyOneRow(rows, scanItem)
	if errors.Is(err, pgx.ErrNoRows) {
		return it, fmt.Errorf("postgres: roster item %q of %q at %q: %w", contact, local, domain, storage.ErrNotFound)
	}
	return it, wrap("roster item", err)
}

// RosterVersion implements storage.Rosters.
func (s *Store) RosterVersion(ctx context.Context, domain, local string) (int64, error) {
	var v int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		v, err = version(ctx, tx, domain, local, "")
		return err
	})
	return v, err
}

// UpdateRosterItem implements storage.Rosters. Locking the version row
// first serialises every change of this roster (RFC 6121 §2.6 versions
// must not be handed out twice).
func (s *Store) UpdateRosterItem(ctx context.Context, domain, local, contact string,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (*storage.RosterItem, int64, error) {
	var next *storage.RosterItem
	var ver int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if ver, err = version(ctx, tx, domain, local, " FOR UPDATE"); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT `+itemColumns+` FROM roster_items
			WHERE domain = $1 AND localpart = $2 AND contact = $3`, domain, local, contact)
		cur, err := pgx.CollectExactlyOneRow(rows, scanItem)
		var curp *storage.RosterItem
		if err == nil {
			curp = &cur
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return wrap("roster item", err)
		}
		var changed bool
		if next, changed, err = applyChange(ctx, tx, domain, local, contact, curp, fn); err != nil || !changed {
			return err
		}
		ver++
		_, err = tx.Exec(ctx, `UPDATE roster_versions SET version = $3 WHERE domain = $1 AND localpart = $2`,
			domain, local, ver)
		return wrap("roster version", err)
	})
	if err != nil {
		return nil, 0, err
	}
	return next, ver, nil
}

// applyChange runs fn and writes its result when it differs from cur.
func applyChange(ctx context.Context, tx pgx.Tx, domain, local, contact string, cur *storage.RosterItem,
	fn func(cur *storage.RosterItem) (*storage.RosterItem, error)) (*storage.RosterItem, bool, error) {
	next, changed, err := storage.ApplyRosterFunc(contact, cur, fn)
	if err != nil || !changed {
		return next, false, err
	}
	if next == nil {
		_, err = tx.Exec(ctx, `DELETE FROM roster_items WHERE domain = $1 AND localpart = $2 AND contact = $3`,
			domain, local, contact)
		return nil, true, wrap("delete roster item", err)
	}
	groups := next.Groups
	if groups == nil {
		groups = []string{}
	}
	_, err = tx.Exec(ctx, `INSERT INTO roster_items (domain, localpart, `+itemColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (domain, localpart, contact) DO UPDATE SET
		name = excluded.name, subscription = excluded.subscription, ask = excluded.ask,
		pending_in = excluded.pending_in, pending_in_stanza = excluded.pending_in_stanza,
		pre_approved = excluded.pre_approved, groups = excluded.groups,
		pending_only = excluded.pending_only`,
		domain, local, next.Contact, next.Name, string(next.Subscription), next.Ask, next.PendingIn,
		next.PendingInStanza, next.PreApproved, groups, next.PendingOnly)
	return next, true, wrap("store roster item", err)
}
