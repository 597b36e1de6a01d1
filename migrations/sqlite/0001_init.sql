-- Accounts, SCRAM credentials and rosters, keyed by (domain, localpart).

CREATE TABLE accounts (
    domain     TEXT    NOT NULL,
    localpart  TEXT    NOT NULL,
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT    NOT NULL, -- RFC 3339 UTC, microseconds
    PRIMARY KEY (domain, localpart)
) WITHOUT ROWID;

-- RFC 5802 §3 / RFC 7677: verifiers per hash, never a password.
CREATE TABLE credentials (
    domain     TEXT    NOT NULL,
    localpart  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    salt       BLOB    NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BLOB    NOT NULL,
    server_key BLOB    NOT NULL,
    PRIMARY KEY (domain, localpart, hash),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
) WITHOUT ROWID;

-- RFC 6121 §2.1 roster items; groups is a JSON array of strings.
CREATE TABLE roster_items (
    domain            TEXT    NOT NULL,
    localpart         TEXT    NOT NULL,
    contact           TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    subscription      TEXT    NOT NULL DEFAULT 'none',
    ask               INTEGER NOT NULL DEFAULT 0,
    pending_in        INTEGER NOT NULL DEFAULT 0,
    pending_in_stanza TEXT    NOT NULL DEFAULT '',
    pre_approved      INTEGER NOT NULL DEFAULT 0,
    groups            TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (domain, localpart, contact),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
) WITHOUT ROWID;

-- RFC 6121 §2.6 roster versioning: one counter per roster.
CREATE TABLE roster_versions (
    domain    TEXT    NOT NULL,
    localpart TEXT    NOT NULL,
    version   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (domain, localpart),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
) WITHOUT ROWID;
