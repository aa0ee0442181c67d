-- Reference photos were stored in clear (jpeg); a face must never be on disk
-- in clear, so they are now kept age-encrypted to the central's evidence
-- identity (ciphertext). SQL cannot encrypt, so the photos held in clear are
-- dropped, their pages overwritten (secure_delete): import the roster again
-- with --photos. Terminals keep the photos they hold (encrypted to their own
-- key); until then the central answers 404 for the others.
PRAGMA secure_delete = ON;
DROP TABLE IF EXISTS roster_photo;
CREATE TABLE roster_photo (retiree_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, ciphertext BLOB NOT NULL);
