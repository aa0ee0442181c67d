package store

import (
	"context"
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
)

// limitPages caps the database at its present size plus extra pages, as a
// full disk would (SQLite's max_page_count; one connection, so the cap
// holds for every write).
func limitPages(t *testing.T, s *DB, extra int) {
	t.Helper()
	s.SQL().SetMaxOpenConns(1)
	s.SQL().SetMaxIdleConns(1)
	if _, err := s.SQL().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.SQL().QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SQL().Exec(`PRAGMA max_page_count = ` + strconv.Itoa(pages+extra)); err != nil {
		t.Fatal(err)
	}
}

func certCount(t *testing.T, s *DB) (certs, evidence int) {
	t.Helper()
	if err := s.SQL().QueryRow(`SELECT (SELECT count(*) FROM certification), (SELECT count(*) FROM evidence)`).Scan(&certs, &evidence); err != nil {
		t.Fatal(err)
	}
	return certs, evidence
}

func bigEvidence(t *testing.T, n int) []Evidence {
	b := make([]byte, n)
	rand.Read(b)
	return []Evidence{{Kind: EvidenceClip, Data: b}}
}

// A full disk refuses the record whole — no record without its evidence,
// no half — with a message staff can act on; once there is room, the same
// record saves.
func TestDiskFullRefusesWholeRecords(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	limitPages(t, f.s, 2)
	before, beforeEv := certCount(t, f.s)
	c := f.cert(0, certkiosk.VerdictPass)
	err := f.s.SaveCertification(ctx, "staff:A001", c, bigEvidence(t, 200<<10))
	if !IsDiskFull(err) || certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE || translation.Error(translation.Chinese, err) != "存储空间已满，这次的结果还没有保存" {
		t.Fatalf("save on a full disk: %v (%q)", err, translation.Error(translation.Chinese, err))
	}
	if n, ev := certCount(t, f.s); n != before || ev != beforeEv {
		t.Fatalf("a refused save left %d records (was %d), %d evidence (was %d)", n, before, ev, beforeEv)
	}
	if _, err := f.s.SQL().Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SaveCertification(ctx, "staff:A001", c, bigEvidence(t, 200<<10)); err != nil {
		t.Fatalf("the same record once there is room: %v", err)
	}
	if n, ev := certCount(t, f.s); n != before+1 || ev != beforeEv+1 {
		t.Fatalf("after the retry: %d records, %d evidence", n, ev)
	}
}

// On a full disk, evidence past its retention goes first: the save that
// met a full disk makes room by it and goes through.
func TestDiskFullPurgesOldEvidenceFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.cert(1, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", old, bigEvidence(t, 300<<10)); err != nil {
		t.Fatal(err)
	}
	// The central acknowledged it long ago: its evidence is past retention.
	ackedAt := f.clock.Add(-time.Duration(DefaultRetentionDays+1) * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
	if _, err := f.s.SQL().Exec(`UPDATE certification SET sync_state = 'acked', acked_at = ? WHERE id = ?`, ackedAt, old.ID); err != nil {
		t.Fatal(err)
	}
	f.clock = f.clock.Add(time.Minute)
	limitPages(t, f.s, 2)
	c := f.cert(0, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", c, bigEvidence(t, 200<<10)); err != nil {
		t.Fatalf("save on a disk full of old evidence: %v", err)
	}
	if ev, err := f.s.EvidenceOf(ctx, old.ID); err != nil || len(ev) != 0 {
		t.Fatalf("old evidence kept: %d, %v", len(ev), err)
	}
	if ev, err := f.s.EvidenceOf(ctx, c.ID); err != nil || len(ev) != 1 {
		t.Fatalf("new evidence: %d, %v", len(ev), err)
	}
}
