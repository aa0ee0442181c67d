-- The pension standing the central sent with the roster, authoritative when
-- set ('' means: compute it from last_cert), and the month a suspension
-- began (YYYY-MM, '' when none). contact_checked is the day staff last
-- confirmed or corrected the phone and address with the retiree.
ALTER TABLE retiree ADD COLUMN pension_status TEXT NOT NULL DEFAULT ''
    CHECK (pension_status IN ('', 'in_time', 'due_soon', 'overdue', 'suspended', 'unknown'));
ALTER TABLE retiree ADD COLUMN suspended_since TEXT NOT NULL DEFAULT '';
ALTER TABLE retiree ADD COLUMN contact_checked TEXT;

-- A relative's contact (亲情联系人), recorded with the retiree's consent.
-- Printed on nothing; sent to the central for reminders.
CREATE TABLE relative (
    retiree_id  TEXT PRIMARY KEY REFERENCES retiree (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name <> ''),
    relation    TEXT NOT NULL,
    mobile      TEXT NOT NULL CHECK (length(mobile) = 11),
    consent_at  TEXT NOT NULL,   -- RFC 3339: when the retiree agreed
    staff_id    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Contact checks and changes made at the counter, in order, queued for the
-- central until it acknowledges them. No foreign key: the log outlives a
-- retiree leaving the roster.
CREATE TABLE contact_change (
    id               TEXT PRIMARY KEY,   -- UUIDv7, idempotency key at the central
    retiree_id       TEXT NOT NULL,
    staff_id         TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('confirmed', 'corrected', 'relative_set', 'relative_removed')),
    phone            TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    relative_name    TEXT NOT NULL DEFAULT '',
    relation         TEXT NOT NULL DEFAULT '',
    relative_mobile  TEXT NOT NULL DEFAULT '',
    at               TEXT NOT NULL,
    sync_state       TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'acked')),
    acked_at         TEXT
) STRICT;

CREATE INDEX contact_change_sync ON contact_change (sync_state, id);
CREATE INDEX contact_change_retiree ON contact_change (retiree_id, id);

-- Reference photos shown to staff beside the live face: one the central sent
-- with the roster, or this terminal's best frame from the retiree's last
-- pass. Encrypted with age to this terminal's own reference key (not the
-- central's evidence key) before they are written.
CREATE TABLE reference_photo (
    retiree_id  TEXT PRIMARY KEY REFERENCES retiree (id) ON DELETE CASCADE,
    source      TEXT NOT NULL CHECK (source IN ('central', 'last_pass')),
    sha256      TEXT NOT NULL,   -- of the plaintext JPEG, to skip unchanged downloads
    recipient   TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,
    stored_at   TEXT NOT NULL
) STRICT;

CREATE INDEX reference_photo_stored ON reference_photo (stored_at);

-- What a pass meant: staff's answer to 「本人与照片一致」 when a reference photo
-- was shown (NULL when none was), and for a pass that ended a suspension the
-- month payment resumes, the months paid back and the month they arrive.
ALTER TABLE certification ADD COLUMN photo_match INTEGER CHECK (photo_match IN (0, 1));
ALTER TABLE certification ADD COLUMN resume_month TEXT NOT NULL DEFAULT '';
ALTER TABLE certification ADD COLUMN backpay_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certification ADD COLUMN backpay_month TEXT NOT NULL DEFAULT '';
