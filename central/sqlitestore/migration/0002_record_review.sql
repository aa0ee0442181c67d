-- Where a record's frames came from, and whether it waits for review;
-- receipts are looked up per terminal.
ALTER TABLE record ADD COLUMN frame_source TEXT NOT NULL DEFAULT '';
ALTER TABLE record ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS record_terminal_receipt ON record (terminal, receipt);
