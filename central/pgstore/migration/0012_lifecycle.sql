-- Revocation and console accounts have a lifecycle (issue 23, N13): a
-- re-enabled terminal must enroll again with a new key (revoked_key is the
-- one it had), and a console account can be disabled or get a new PIN,
-- which ends its sessions.
ALTER TABLE terminal ADD COLUMN revoked_key BYTEA;
ALTER TABLE console_user ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE console_user ADD COLUMN pin_changed_at TIMESTAMPTZ;
