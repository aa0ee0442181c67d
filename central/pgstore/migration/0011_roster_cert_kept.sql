-- The newest roster import's last certification date wins (issue 23, N3):
-- earlier dates stay in pension_roster_cert for audit only. kept marks the
-- dates that still count: those an approved review replaced on the roster
-- (the suspension the approval ends started from them).
ALTER TABLE pension_roster_cert ADD COLUMN kept BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE pension_roster_cert SET kept = TRUE
    WHERE retiree_id IN (SELECT retiree_id FROM review_case WHERE decision = 'approve');
