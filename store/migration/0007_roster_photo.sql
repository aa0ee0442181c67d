-- The SHA-256 of the reference photo the central holds for a retiree ('' when
-- none), from the roster download: the terminal fetches the photos it does
-- not hold yet, a few at a time, until they match.
ALTER TABLE retiree ADD COLUMN photo_sha256 TEXT NOT NULL DEFAULT '';
