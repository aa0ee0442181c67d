-- The schema as the first release created it. IF NOT EXISTS: a database
-- made before versioned migrations already has these tables.
CREATE TABLE IF NOT EXISTS terminal (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB,
    token_hash TEXT UNIQUE, token_expires TEXT, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at TEXT);
CREATE TABLE IF NOT EXISTS nonce (
    terminal TEXT NOT NULL, nonce TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (terminal, nonce));
CREATE INDEX IF NOT EXISTS nonce_at ON nonce (at);
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY, terminal TEXT NOT NULL, content_hash TEXT NOT NULL, body TEXT NOT NULL,
    receipt TEXT NOT NULL, verdict TEXT NOT NULL, retiree_masked TEXT NOT NULL, ended_at TEXT NOT NULL,
    synthetic INTEGER NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS record_receipt ON record (receipt);
CREATE TABLE IF NOT EXISTS evidence (
    record_id TEXT NOT NULL REFERENCES record (id), kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    ciphertext BLOB NOT NULL, PRIMARY KEY (record_id, kind));
CREATE TABLE IF NOT EXISTS conflict (
    seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL, terminal TEXT NOT NULL, content_hash TEXT NOT NULL,
    body TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS roster (
    id TEXT PRIMARY KEY, entry TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS roster_version ON roster (version);
CREATE TABLE IF NOT EXISTS audit_head (
    terminal TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_alarm (
    seq INTEGER PRIMARY KEY, terminal TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL);
