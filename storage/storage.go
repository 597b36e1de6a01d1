// Package storage defines the persistence interfaces of Parley and the models
// they exchange. Backends live in sub-packages (storage/sqlite,
// storage/postgres) and all pass the conformance suite in storage/storagetest.
//
// Every record is keyed by (domain, localpart) so that one server can host
// many domains. Callers pass strings that are already normalised (PRECIS for
// localparts, IDNA for domains); backends store them byte for byte.
package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrNotFound reports that the account or item asked for does not exist.
// Backends wrap it; test with errors.Is.
var ErrNotFound = errors.New("storage: not found")

// ErrConflict reports that a record with the same key already exists.
// Backends wrap it; test with errors.Is.
var ErrConflict = errors.New("storage: already exists")

// Credential is one set of SCRAM verifiers for an account (RFC 5802 §3,
// RFC 7677). It mirrors sasl.Credentials; no password is ever stored.
type Credential struct {
	Hash       string // "SHA-1" or "SHA-256"; unique per account
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// Account is a user account of one served domain.
type Account struct {
	Domain    string
	Localpart string
	Disabled  bool
	CreatedAt time.Time // UTC, microsecond precision
}

// Accounts manages user accounts and their credentials.
type Accounts interface {
	// CreateAccount creates an enabled account with the given credentials
	// (one per hash). ErrConflict when the account exists.
	CreateAccount(ctx context.Context, domain, local string, creds []Credential) error
	// DeleteAccount removes an account with its credentials, its roster and
	// all other data of the user. ErrNotFound when there is no such account.
	DeleteAccount(ctx context.Context, domain, local string) error
	// Account returns one account, or ErrNotFound.
	Account(ctx context.Context, domain, local string) (Account, error)
	// ListAccounts lists the accounts of domain ("" = every domain), sorted
	// bytewise by domain then localpart.
	ListAccounts(ctx context.Context, domain string) ([]Account, error)
	// SetCredentials replaces all credentials of an account. ErrNotFound
	// when there is no such account.
	SetCredentials(ctx context.Context, domain, local string, creds []Credential) error
	// Credentials returns the credentials of an account sorted by Hash.
	// ErrNotFound when there is no such account.
	Credentials(ctx context.Context, domain, local string) ([]Credential, error)
	// AccountCredentials returns an account and its credentials (sorted by
	// Hash) in one read from one snapshot: what authenticating its user
	// needs, in one round trip. ErrNotFound when there is no such account.
	AccountCredentials(ctx context.Context, domain, local string) (Account, []Credential, error)
	// SetDisabled enables or disables an account. ErrNotFound when there is
	// no such account.
	SetDisabled(ctx context.Context, domain, local string, disabled bool) error
}

// Subscription is the subscription state of a roster item (RFC 6121 §2.1.2.5).
type Subscription string

// Subscription states (RFC 6121 §2.1.2.5). SubRemove only appears in roster
// sets and pushes; it is never stored.
const (
	SubNone   Subscription = "none"
	SubTo     Subscription = "to"
	SubFrom   Subscription = "from"
	SubBoth   Subscription = "both"
	SubRemove Subscription = "remove"
)

// RosterItem is one contact in a user's roster (RFC 6121 §2.1).
type RosterItem struct {
	Contact         string // bare JID string, normalised
	Name            string
	Subscription    Subscription // "" is stored as SubNone
	Ask             bool         // pending outbound subscribe (ask='subscribe')
	PendingIn       bool         // pending inbound subscription request
	PendingInStanza string       // raw XML of the inbound subscribe (RFC 6121 §3.1.3 redelivery), "" if none
	PreApproved     bool         // RFC 6121 §3.4
	// PendingOnly marks a record that only holds a pending inbound
	// request: it is not in the user's roster until the user approves
	// (RFC 6121 §3.1.3), so roster results and pushes leave it out. The
	// zero value (false) is an ordinary roster item.
	PendingOnly bool
	Groups      []string // in order; empty is returned as nil
}

// Equal reports whether a and b hold the same data. Nil and empty Groups
// are equal, and an empty Subscription equals SubNone.
func (a RosterItem) Equal(b RosterItem) bool {
	return a.Contact == b.Contact && a.Name == b.Name &&
		a.Subscription.orNone() == b.Subscription.orNone() &&
		a.Ask == b.Ask && a.PendingIn == b.PendingIn &&
		a.PendingInStanza == b.PendingInStanza && a.PreApproved == b.PreApproved &&
		a.PendingOnly == b.PendingOnly &&
		slices.Equal(a.Groups, b.Groups)
}

func (s Subscription) orNone() Subscription {
	if s == "" {
		return SubNone
	}
	return s
}

// Rosters stores rosters with their version (RFC 6121 §2.6).
//
// A user's roster exists as long as the account: Roster and RosterVersion
// return ErrNotFound for an unknown account, and UpdateRosterItem too.
type Rosters interface {
	// Roster returns all items sorted by Contact and the roster version,
	// read consistently.
	Roster(ctx context.Context, domain, local string) (items []RosterItem, ver int64, err error)
	// RosterItem returns one item, or ErrNotFound.
	RosterItem(ctx context.Context, domain, local, contact string) (RosterItem, error)
	// UpdateRosterItem reads the item (nil if absent) and stores what fn
	// returns, in ONE transaction; fn returning nil deletes. The roster
	// version increments on every change and stays when fn returned an item
	// equal to cur (or nil for an absent item). An error from fn aborts and
	// is returned as is. The returned item is what is stored (nil when
	// none); its Contact is always contact. Storing a Subscription other
	// than none, to, from or both is an error. fn may run more than once
	// and must not call the store (the transaction is open).
	UpdateRosterItem(ctx context.Context, domain, local, contact string,
		fn func(cur *RosterItem) (*RosterItem, error)) (item *RosterItem, ver int64, err error)
	// RosterVersion returns the current roster version; 0 for a roster that
	// never changed.
	RosterVersion(ctx context.Context, domain, local string) (int64, error)
}

// Store is a complete storage backend.
type Store interface {
	Accounts
	Rosters
	Offline
	VCards
	PrivateXML
	// Migrate applies pending schema migrations under a lock shared by
	// every process using the database. It refuses a database whose schema
	// is newer than this binary knows (see migrations.TooNewError).
	Migrate(ctx context.Context) error
	// MigrationStatus reports how many migrations the database has applied
	// and how many this binary knows. applied > available means the
	// database is newer than the binary.
	MigrationStatus(ctx context.Context) (applied, available int, err error)
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// NormalizeItem returns a copy of it ready to be stored under contact:
// Contact set, empty Subscription as SubNone, empty Groups as nil.
func NormalizeItem(it RosterItem, contact string) RosterItem {
	it.Contact = contact
	it.Subscription = it.Subscription.orNone()
	if len(it.Groups) == 0 {
		it.Groups = nil
	} else {
		it.Groups = slices.Clone(it.Groups)
	}
	return it
}

// ApplyRosterFunc is the part of UpdateRosterItem that backends share: it
// calls fn with a copy of cur (nil when absent) and returns the item to
// store under contact (nil = delete) and whether that is a change.
func ApplyRosterFunc(contact string, cur *RosterItem,
	fn func(cur *RosterItem) (*RosterItem, error)) (next *RosterItem, changed bool, err error) {
	var arg *RosterItem
	if cur != nil {
		c := NormalizeItem(*cur, contact)
		arg = &c
	}
	out, err := fn(arg)
	if err != nil {
		return nil, false, err
	}
	if out == nil {
		return nil, cur != nil, nil
	}
	n := NormalizeItem(*out, contact)
	switch n.Subscription {
	case SubNone, SubTo, SubFrom, SubBoth:
	default:
		return nil, false, fmt.Errorf("storage: roster item %q: cannot store subscription %q", contact, n.Subscription)
	}
	return &n, cur == nil || !cur.Equal(n), nil
}
