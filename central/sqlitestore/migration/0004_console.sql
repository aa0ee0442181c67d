-- The office console (issue 13): accounts, their audit trail, the review
-- queue and the pension state derived from roster, certifications and
-- review decisions. Days are integers YYYYMMDD and months YYYYMM, the same
-- in both databases and ordered as numbers.
ALTER TABLE record ADD COLUMN retiree_id TEXT GENERATED ALWAYS AS (json_extract(body, '$.retiree_id')) VIRTUAL;
-- false until the console has folded the record into the pension state.
ALTER TABLE record ADD COLUMN pension_done INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS record_retiree ON record (retiree_id, ended_at);
CREATE INDEX IF NOT EXISTS record_pension_todo ON record (id) WHERE NOT pension_done;
CREATE INDEX IF NOT EXISTS record_ended ON record (ended_at);
CREATE INDEX IF NOT EXISTS record_terminal_received ON record (terminal, received_at);
ALTER TABLE roster ADD COLUMN name TEXT GENERATED ALWAYS AS (json_extract(entry, '$.name')) VIRTUAL;
CREATE INDEX IF NOT EXISTS roster_name ON roster (name);

CREATE TABLE IF NOT EXISTS console_user (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, pin_hash TEXT NOT NULL,
    failed INTEGER NOT NULL DEFAULT 0, locked_until TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS console_audit (
    seq INTEGER PRIMARY KEY, at TEXT NOT NULL, user_id TEXT NOT NULL, action TEXT NOT NULL,
    subject TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS console_audit_action ON console_audit (action, seq);

CREATE TABLE IF NOT EXISTS review_case (
    record_id TEXT PRIMARY KEY, retiree_id TEXT NOT NULL, terminal TEXT NOT NULL, ended_at TEXT NOT NULL,
    is_open INTEGER NOT NULL DEFAULT 1, decision TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL DEFAULT '', decided_at TEXT, decided_day INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS review_case_open ON review_case (ended_at) WHERE is_open;
CREATE INDEX IF NOT EXISTS review_case_retiree ON review_case (retiree_id);

CREATE TABLE IF NOT EXISTS pension_state (
    retiree_id TEXT PRIMARY KEY, last_day INTEGER NOT NULL, due_day INTEGER NOT NULL, susp_month INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS pension_state_due ON pension_state (due_day);
CREATE INDEX IF NOT EXISTS pension_state_susp ON pension_state (susp_month);
CREATE TABLE IF NOT EXISTS pension_episode (
    retiree_id TEXT NOT NULL, since_month INTEGER NOT NULL, until_month INTEGER NOT NULL,
    resume_month INTEGER NOT NULL, last_day INTEGER NOT NULL, certified_day INTEGER NOT NULL,
    PRIMARY KEY (retiree_id, since_month));
CREATE INDEX IF NOT EXISTS pension_episode_until ON pension_episode (until_month, since_month);
CREATE INDEX IF NOT EXISTS pension_episode_resume ON pension_episode (resume_month);
-- Every last certification the roster has carried: an approval moves the
-- roster's date forward, and the suspension it ends needs the one before.
CREATE TABLE IF NOT EXISTS pension_roster_cert (
    retiree_id TEXT NOT NULL, day INTEGER NOT NULL, PRIMARY KEY (retiree_id, day));
-- What each terminal last said about itself (version, records waiting).
CREATE TABLE IF NOT EXISTS terminal_report (
    terminal TEXT PRIMARY KEY, version TEXT NOT NULL, pending INTEGER NOT NULL, at TEXT NOT NULL);
INSERT INTO counter (name, value) VALUES ('pension_roster_version', 0) ON CONFLICT DO NOTHING;
