-- Why the central service refused a record (conflict or invalid); such a
-- record is not sent again until staff look at it.
ALTER TABLE certification ADD COLUMN sync_error TEXT NOT NULL DEFAULT '';
