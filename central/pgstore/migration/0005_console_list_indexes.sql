-- The due and suspension lists read only these indexes (index-only
-- scans, in due-date order for the due list): no heap visits, no sort.
CREATE INDEX IF NOT EXISTS pension_state_due_list ON pension_state (due_day, retiree_id) INCLUDE (name, phone, address, last_day);
CREATE INDEX IF NOT EXISTS pension_state_susp_list ON pension_state (susp_month, retiree_id) INCLUDE (name, phone, address, last_day, due_day);
DROP INDEX IF EXISTS pension_state_due;
DROP INDEX IF EXISTS pension_state_susp;
