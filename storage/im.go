package storage

import (
	"context"
	"errors"
	"time"
)

// ErrLimit reports that a per-user limit (for example the number of stored
// offline messages) is reached. Backends wrap it; test with errors.Is.
var ErrLimit = errors.New("storage: limit reached")

// OfflineMessage is one message stored for a user who had no available
// resource (XEP-0160).
type OfflineMessage struct {
	ID     int64     // increasing per store; delete up to it once delivered
	XML    string    // the message stanza as received
	Stored time.Time // UTC, when it was stored (XEP-0203 delay stamp)
}

// Offline stores messages for users who are offline (XEP-0160). Messages
// stay stored until DeleteOffline removes them, which callers do only once
// the messages were handed to a transport: nothing is lost if the server
// stops in between.
type Offline interface {
	// StoreOffline appends a message for the user. When the user already
	// has limit messages (limit > 0) it stores nothing and returns an error
	// wrapping ErrLimit. ErrNotFound for an unknown account.
	StoreOffline(ctx context.Context, domain, local, xml string, limit int) (id int64, err error)
	// OfflineMessages returns the user's stored messages in the order they
	// were stored (none for an unknown account).
	OfflineMessages(ctx context.Context, domain, local string) ([]OfflineMessage, error)
	// DeleteOffline removes the user's messages with ID <= upTo.
	DeleteOffline(ctx context.Context, domain, local string, upTo int64) error
}

// VCards stores one vcard-temp document per user (XEP-0054).
type VCards interface {
	// VCard returns the stored vCard XML, or ErrNotFound when the user has
	// none (or there is no such account).
	VCard(ctx context.Context, domain, local string) (string, error)
	// SetVCard stores the user's vCard XML; "" deletes it. ErrNotFound for
	// an unknown account.
	SetVCard(ctx context.Context, domain, local, xml string) error
}

// PrivateXML stores private XML fragments per user, keyed by the
// namespace and name of their root element (XEP-0049).
type PrivateXML interface {
	// PrivateXML returns the stored fragment, or ErrNotFound.
	PrivateXML(ctx context.Context, domain, local, ns, name string) (string, error)
	// SetPrivateXML stores a fragment; "" deletes it. ErrNotFound for an
	// unknown account.
	SetPrivateXML(ctx context.Context, domain, local, ns, name, xml string) error
}
