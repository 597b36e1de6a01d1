-- Accounts, SCRAM credentials and rosters, keyed by (domain, localpart).

CREATE TABLE accounts (
    domain     TEXT        NOT NULL,
    localpart  TEXT        NOT NULL,
    disabled   BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, localpart)
);

-- RFC 5802 §3 / RFC 7677: verifiers per hash, never a password.
CREATE TABLE credentials (
    domain     TEXT    NOT NULL,
    localpart  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    salt       BYTEA   NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BYTEA   NOT NULL,
    server_key BYTEA   NOT NULL,
    PRIMARY KEY (domain, localpart, hash),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);

-- RFC 6121 §2.1 roster items.
CREATE TABLE roster_items (
    domain            TEXT    NOT NULL,
    localpart         TEXT    NOT NULL,
    contact           TEXT    NOT NULL,
    name              TEXT    NOT NULL DEFAULT '',
    subscription      TEXT    NOT NULL DEFAULT 'none',
    ask               BOOLEAN NOT NULL DEFAULT FALSE,
    pending_in        BOOLEAN NOT NULL DEFAULT FALSE,
    pending_in_stanza TEXT    NOT NULL DEFAULT '',
    pre_approved      BOOLEAN NOT NULL DEFAULT FALSE,
    groups            TEXT[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (domain, localpart, contact),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);

-- RFC 6121 §2.6 roster versioning: one counter per roster.
CREATE TABLE roster_versions (
    domain    TEXT   NOT NULL,
    localpart TEXT   NOT NULL,
    version   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (domain, localpart),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);
