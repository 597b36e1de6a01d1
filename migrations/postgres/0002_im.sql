-- Instant messaging: pending-only roster records, offline messages,
-- vCards and private XML, keyed by (domain, localpart).

-- RFC 6121 §3.1.3: a record that only holds a pending inbound request is
-- not part of the roster until the user approves it.
ALTER TABLE roster_items ADD COLUMN pending_only BOOLEAN NOT NULL DEFAULT FALSE;

-- XEP-0160 offline messages, delivered in id order.
CREATE TABLE offline_messages (
    id        BIGSERIAL   PRIMARY KEY,
    domain    TEXT        NOT NULL,
    localpart TEXT        NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    xml       TEXT        NOT NULL,
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);
CREATE INDEX offline_messages_user ON offline_messages (domain, localpart, id);

-- XEP-0054 vcard-temp, one per user.
CREATE TABLE vcards (
    domain    TEXT NOT NULL,
    localpart TEXT NOT NULL,
    xml       TEXT NOT NULL,
    PRIMARY KEY (domain, localpart),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);

-- XEP-0049 private XML storage, one fragment per namespace and element.
CREATE TABLE private_xml (
    domain    TEXT NOT NULL,
    localpart TEXT NOT NULL,
    ns        TEXT NOT NULL,
    name      TEXT NOT NULL,
    xml       TEXT NOT NULL,
    PRIMARY KEY (domain, localpart, ns, name),
    FOREIGN KEY (domain, localpart) REFERENCES accounts (domain, localpart) ON DELETE CASCADE
);
