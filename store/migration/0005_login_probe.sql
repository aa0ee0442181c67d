-- Wrong sign-ins for staff IDs that do not exist, counted and locked like
-- real accounts so that sign-in answers never tell which IDs exist.
CREATE TABLE login_probe (
    id            TEXT PRIMARY KEY,
    failed        INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT
) STRICT;
