-- The retirees this centre serves. The identity number is the key; it is
-- stored whole because lookups need it, and masked everywhere it is shown.
CREATE TABLE retiree (
    id          TEXT PRIMARY KEY CHECK (length(id) = 18),
    name        TEXT NOT NULL CHECK (name <> ''),
    female      INTEGER NOT NULL CHECK (female IN (0, 1)),
    birth       TEXT NOT NULL,          -- YYYY-MM-DD
    category    TEXT NOT NULL DEFAULT '',
    last_cert   TEXT,                   -- YYYY-MM-DD, NULL when never certified
    phone       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    synthetic   INTEGER NOT NULL DEFAULT 0 CHECK (synthetic IN (0, 1)) -- demo data
) STRICT, WITHOUT ROWID;

CREATE INDEX retiree_last_cert ON retiree (last_cert);
