-- The schema as created before versioned migrations, every statement
-- idempotent: a database made then upgrades by running it again.
CREATE TABLE IF NOT EXISTS terminal (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BYTEA,
    token_hash TEXT UNIQUE, token_expires TIMESTAMPTZ, revoked BOOLEAN NOT NULL DEFAULT false, enrolled_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS nonce (
    terminal TEXT NOT NULL, nonce TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, PRIMARY KEY (terminal, nonce));
CREATE INDEX IF NOT EXISTS nonce_at ON nonce (at);
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY, terminal TEXT NOT NULL, content_hash TEXT NOT NULL, body JSONB NOT NULL,
    receipt TEXT NOT NULL, verdict TEXT NOT NULL, retiree_masked TEXT NOT NULL, ended_at TIMESTAMPTZ NOT NULL,
    synthetic BOOLEAN NOT NULL, received_at TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS record_receipt ON record (receipt);
CREATE TABLE IF NOT EXISTS evidence (
    record_id TEXT NOT NULL REFERENCES record (id), kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    ciphertext BYTEA NOT NULL, PRIMARY KEY (record_id, kind));
CREATE TABLE IF NOT EXISTS conflict (
    seq BIGSERIAL PRIMARY KEY, record_id TEXT NOT NULL, terminal TEXT NOT NULL, content_hash TEXT NOT NULL,
    body JSONB NOT NULL, at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counter (name, value) VALUES ('duplicates', 0), ('batches', 0), ('roster_version', 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS roster (
    id TEXT PRIMARY KEY, entry JSONB NOT NULL, version BIGINT NOT NULL, deleted BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS roster_version ON roster (version);
ALTER TABLE record ADD COLUMN IF NOT EXISTS frame_source TEXT NOT NULL DEFAULT '';
ALTER TABLE record ADD COLUMN IF NOT EXISTS review BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS record_terminal_receipt ON record (terminal, receipt);
CREATE TABLE IF NOT EXISTS audit_head (
    terminal TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS audit_alarm (
    seq BIGSERIAL PRIMARY KEY, terminal TEXT NOT NULL, detail TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
