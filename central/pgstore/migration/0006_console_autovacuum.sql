-- The pension state is rewritten row by row as certifications arrive;
-- the lists and counts read it by index-only scans, which need the
-- visibility map current. Vacuum these tables after 1 % of their rows
-- changed instead of PostgreSQL's default 20 %.
ALTER TABLE pension_state SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE pension_episode SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_analyze_scale_factor = 0.02);
