-- The console's lists print name, phone and address: keep them with the
-- pension state (copied from the roster when a retiree is recomputed), so
-- a list of 80,000 people is one index range scan with no JSON to read.
-- Certifications per day for the dashboard are counted as records are
-- folded in, not recounted from the records on every view.
ALTER TABLE pension_state ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_state ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_state ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_episode ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_episode ADD COLUMN phone TEXT NOT NULL DEFAULT '';
UPDATE pension_state SET
    name = coalesce((SELECT json_extract(entry, '$.name') FROM roster WHERE roster.id = pension_state.retiree_id), ''),
    phone = coalesce((SELECT json_extract(entry, '$.phone') FROM roster WHERE roster.id = pension_state.retiree_id), ''),
    address = coalesce((SELECT json_extract(entry, '$.address') FROM roster WHERE roster.id = pension_state.retiree_id), '');
UPDATE pension_episode SET
    name = coalesce((SELECT json_extract(entry, '$.name') FROM roster WHERE roster.id = pension_episode.retiree_id), ''),
    phone = coalesce((SELECT json_extract(entry, '$.phone') FROM roster WHERE roster.id = pension_episode.retiree_id), '');
CREATE TABLE IF NOT EXISTS daily_count (
    day INTEGER NOT NULL, terminal TEXT NOT NULL, verdict TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, terminal, verdict));
-- ended_at is RFC 3339 text in UTC; China is UTC+8.
INSERT INTO daily_count (day, terminal, verdict, n)
    SELECT CAST(strftime('%Y%m%d', ended_at, '+8 hours') AS INTEGER), terminal, verdict, count(*)
    FROM record WHERE pension_done GROUP BY 1, 2, 3
    ON CONFLICT DO NOTHING;
