-- Contact checks and changes terminals send (issue 12): every change once,
-- and per retiree the newest details and relative (亲情联系人).
CREATE TABLE IF NOT EXISTS contact_change (
    id TEXT PRIMARY KEY, terminal TEXT NOT NULL, retiree_id TEXT NOT NULL, staff_id TEXT NOT NULL,
    kind TEXT NOT NULL, phone TEXT NOT NULL, address TEXT NOT NULL,
    relative_name TEXT NOT NULL, relation TEXT NOT NULL, relative_mobile TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL, received_at TIMESTAMPTZ NOT NULL, content_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contact_change_retiree ON contact_change (retiree_id, at);
CREATE TABLE IF NOT EXISTS retiree_contact (
    retiree_id TEXT PRIMARY KEY,
    phone TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', checked_at TIMESTAMPTZ, checked_by TEXT NOT NULL DEFAULT '',
    relative_name TEXT NOT NULL DEFAULT '', relation TEXT NOT NULL DEFAULT '', relative_mobile TEXT NOT NULL DEFAULT '',
    relative_at TIMESTAMPTZ);
-- Reference photos imported with the roster (a JPEG per retiree).
CREATE TABLE IF NOT EXISTS roster_photo (retiree_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, jpeg BYTEA NOT NULL);
