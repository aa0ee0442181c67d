package storetest

import (
	"context"
	"testing"
	"time"

	"certkiosk/central"
	ksync "certkiosk/sync"
)

// LegacyRows fills a database made before versioned migrations (written so
// that SQLite and PostgreSQL both accept it, and without the record columns
// added later, so it also fits the oldest schema).
const LegacyRows = `
INSERT INTO terminal (id, name, token_expires, revoked, enrolled_at)
    VALUES ('T-0001', '一号柜台', '2026-11-01T00:00:00Z', FALSE, '2026-11-01T00:00:00Z');
INSERT INTO record (id, terminal, content_hash, body, receipt, verdict, retiree_masked, ended_at, synthetic, received_at)
    VALUES ('legacy-1', 'T-0001', 'h1', '{"id":"legacy-1"}', 'R-LEGACY', 'pass', '110105********0011',
    '2026-11-02T09:00:00.5Z', FALSE, '2026-11-02T09:01:00Z');
INSERT INTO roster (id, entry, version, deleted)
    VALUES ('110105195001010011', '{"id":"110105195001010011","name":"张三"}', 5, FALSE);
INSERT INTO counter (name, value) VALUES ('roster_version', 5), ('batches', 3)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
`

// CheckUpgraded checks that s, opened on a database holding LegacyRows,
// kept every row and works on: lookups, counters and roster versions carry
// on from where they were.
func CheckUpgraded(t *testing.T, s central.Storage) {
	t.Helper()
	ctx := context.Background()
	r, err := s.Receipt(ctx, "T-0001", "R-LEGACY")
	if err != nil {
		t.Fatalf("receipt of the old record: %v", err)
	}
	ended := time.Date(2026, 11, 2, 9, 0, 0, 5e8, time.UTC)
	if r.RecordID != "legacy-1" || r.Verdict != "pass" || !r.Ended.Equal(ended) || r.FrameSource != "" || r.Review {
		t.Fatalf("old record after upgrade: %+v", r)
	}
	if term, err := s.Terminal(ctx, "T-0001"); err != nil || term.Name != "一号柜台" || term.Revoked {
		t.Fatalf("old terminal after upgrade: %+v %v", term, err)
	}
	u, err := s.RosterSince(ctx, 0)
	if err != nil || u.Version != 5 || len(u.Retirees) != 1 || u.Retirees[0].Name != "张三" {
		t.Fatalf("old roster after upgrade: %+v %v", u, err)
	}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rec := Record(t, "T-0001", 1)
	for i, want := range []string{ksync.StatusAccepted, ksync.StatusDuplicate} {
		res, err := s.Ingest(ctx, "T-0001", []ksync.Record{rec}, now)
		if err != nil || res[0].Status != want {
			t.Fatalf("delivery %d after upgrade: %+v %v", i+1, res, err)
		}
	}
	st, err := s.Stats(ctx)
	want := central.Stats{Records: 2, Duplicates: 1, Evidence: 1, Terminals: 1, Batches: 5, Flagged: 1}
	if err != nil || st != want {
		t.Fatalf("stats after upgrade: %+v %v, want %+v", st, err, want)
	}
	v, changed, deleted, err := s.PutRoster(ctx, []ksync.RosterEntry{{ID: "110105195001010022", Name: "李四"}})
	if err != nil || v != 6 || changed != 1 || deleted != 1 {
		t.Fatalf("roster import after upgrade: version %d changed %d deleted %d %v", v, changed, deleted, err)
	}
}
