-- Contact changes are earned (issue 23, N2): a change a terminal may not
-- make is kept, refused, for the office to see; the office can undo an
-- accepted one. status: accepted, refused or undone; note says why.
ALTER TABLE contact_change ADD COLUMN status TEXT NOT NULL DEFAULT 'accepted';
ALTER TABLE contact_change ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS contact_change_terminal ON contact_change (terminal, received_at);
