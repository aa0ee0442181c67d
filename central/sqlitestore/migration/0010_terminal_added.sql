-- When the office added a terminal: no record of it can have ended before
-- (a record between this and the enrollment is held for review). Terminals
-- added before the column have none: their enrollment is the bound.
ALTER TABLE terminal ADD COLUMN added_at TEXT;
