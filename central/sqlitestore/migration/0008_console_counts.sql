-- How many retirees have a pension state, kept as states are added and
-- removed: counting a million rows for every dashboard view is too slow.
INSERT INTO counter (name, value) SELECT 'pension_retirees', count(*) FROM pension_state WHERE TRUE
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
