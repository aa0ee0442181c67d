-- The console's lists print name, phone and address: keep them with the
-- pension state (copied from the roster when a retiree is recomputed), so
-- a list of 80,000 people is one index range scan with no JSON to read.
-- Certifications per day for the dashboard are counted as records are
-- folded in, not recounted from the records on every view.
ALTER TABLE pension_state ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_state ADD COLUMN IF NOT EXISTS phone TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_state ADD COLUMN IF NOT EXISTS address TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_episode ADD COLUMN IF NOT EXISTS name TEXT NOT NULL DEFAULT '';
ALTER TABLE pension_episode ADD COLUMN IF NOT EXISTS phone TEXT NOT NULL DEFAULT '';
UPDATE pension_state p SET name = coalesce(r.entry->>'name', ''), phone = coalesce(r.entry->>'phone', ''),
    address = coalesce(r.entry->>'address', '') FROM roster r WHERE r.id = p.retiree_id;
UPDATE pension_episode e SET name = coalesce(r.entry->>'name', ''), phone = coalesce(r.entry->>'phone', '')
    FROM roster r WHERE r.id = e.retiree_id;
CREATE TABLE IF NOT EXISTS daily_count (
    day INTEGER NOT NULL, terminal TEXT NOT NULL, verdict TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (day, terminal, verdict));
INSERT INTO daily_count (day, terminal, verdict, n)
    SELECT to_char(ended_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')::int, terminal, verdict, count(*)
    FROM record WHERE pension_done GROUP BY 1, 2, 3
    ON CONFLICT DO NOTHING;
