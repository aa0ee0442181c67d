-- Reference photo fetches are recorded (issue 23, N9): which terminal
-- fetched whose photo, when; kept 400 days, counted per terminal per day.
CREATE TABLE photo_fetch (terminal TEXT NOT NULL, retiree_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX photo_fetch_terminal ON photo_fetch (terminal, at);
CREATE INDEX photo_fetch_at ON photo_fetch (at);
