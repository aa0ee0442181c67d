-- Every counter has its row, so both storages update counters the same way.
INSERT INTO counter (name, value) VALUES ('duplicates', 0), ('batches', 0), ('roster_version', 0)
    ON CONFLICT DO NOTHING;
