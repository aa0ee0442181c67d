-- The photo read from the retiree's identity card on the counter's reader
-- (decoded by the reader vendor's decoder) is a reference photo too, and the
-- preferred one: 'card' joins the sources. SQLite cannot change a CHECK in
-- place, so the table is made anew with the rows it holds.
CREATE TABLE reference_photo_new (
    retiree_id  TEXT PRIMARY KEY REFERENCES retiree (id) ON DELETE CASCADE,
    source      TEXT NOT NULL CHECK (source IN ('card', 'central', 'last_pass')),
    sha256      TEXT NOT NULL,   -- of the plaintext JPEG, to skip unchanged downloads
    recipient   TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,
    stored_at   TEXT NOT NULL
) STRICT;
INSERT INTO reference_photo_new SELECT retiree_id, source, sha256, recipient, ciphertext, stored_at FROM reference_photo;
DROP TABLE reference_photo;
ALTER TABLE reference_photo_new RENAME TO reference_photo;
CREATE INDEX reference_photo_stored ON reference_photo (stored_at);
