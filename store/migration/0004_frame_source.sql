-- Where a certification's frames came from: camera, file (a video file),
-- demo (the demo clip) or none (a manual review). Rows from before this
-- migration have '' (unknown); the central holds those for review.
ALTER TABLE certification ADD COLUMN frame_source TEXT NOT NULL DEFAULT ''
    CHECK (frame_source IN ('', 'camera', 'file', 'demo', 'none'));
