-- Key-value settings of this terminal (terminal ID, evidence recipient,
-- liveness settings, retention). Changes go through the audit log.
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Staff accounts. pin_hash is an argon2id PHC string; the PIN itself is
-- never stored.
CREATE TABLE staff (
    id            TEXT PRIMARY KEY CHECK (id <> ''),
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    pin_hash      TEXT NOT NULL,
    failed        INTEGER NOT NULL DEFAULT 0,   -- wrong PINs in a row
    locked_until  TEXT,                         -- RFC 3339 UTC, NULL when not locked
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    TEXT NOT NULL
) STRICT;

-- One certification attempt. id is a UUIDv7 made here, so records keep
-- their identity through sync and offline export.
CREATE TABLE certification (
    id          TEXT PRIMARY KEY,
    retiree_id  TEXT NOT NULL REFERENCES retiree (id),
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    terminal    TEXT NOT NULL,
    method      TEXT NOT NULL CHECK (method IN ('blink', 'digits')),
    challenge   TEXT NOT NULL DEFAULT '',
    verdict     TEXT NOT NULL CHECK (verdict IN ('pass', 'fail', 'manual_review')),
    reason      TEXT NOT NULL DEFAULT '',
    metrics     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics)),
    started_at  TEXT NOT NULL,
    ended_at    TEXT NOT NULL,
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),
    receipt     TEXT NOT NULL UNIQUE,
    sync_state  TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'sent', 'acked')),
    acked_at    TEXT,
    synthetic   INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)),
    created_at  TEXT NOT NULL
) STRICT;

CREATE INDEX certification_sync ON certification (sync_state, id);
CREATE INDEX certification_retiree ON certification (retiree_id, ended_at);
CREATE INDEX certification_ended ON certification (ended_at);

-- Evidence (the best frame, maybe a short clip), encrypted with age to the
-- central service's X25519 recipient before it is written. This kiosk holds
-- no key that opens it.
CREATE TABLE evidence (
    cert_id     TEXT NOT NULL REFERENCES certification (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('best_frame', 'clip')),
    recipient   TEXT NOT NULL,   -- the age recipient it is encrypted to
    sha256      TEXT NOT NULL,   -- of the ciphertext, for sync integrity
    ciphertext  BLOB NOT NULL,
    PRIMARY KEY (cert_id, kind)
) STRICT;

-- Append-only audit log, hash-chained: hash = SHA-256(prev_hash || canonical
-- entry). audit_head repeats the newest entry so deleting the last rows
-- shows too. The triggers stop casual edits; the chain catches the rest.
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',   -- masked, never a full ID number
    detail     TEXT NOT NULL DEFAULT '{}',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE TABLE audit_head (
    one   INTEGER PRIMARY KEY CHECK (one = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
