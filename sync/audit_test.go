package sync_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"testing"

	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// rewriteAudit does what a tamperer with the disk does: deletes entry
// victim, renumbers what follows and recomputes every hash and the head,
// so that the chain verifies again.
func rewriteAudit(t *testing.T, db *sql.DB, victim int64) {
	t.Helper()
	type entry struct {
		seq                                int64
		at, actor, action, subject, detail string
	}
	rows, err := db.Query(`SELECT seq, at, actor, action, subject, detail FROM audit ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var es []entry
	for rows.Next() {
		var e entry
		rows.Scan(&e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.detail)
		if e.seq != victim {
			es = append(es, e)
		}
	}
	rows.Close()
	for _, q := range []string{`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`, `DELETE FROM audit`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	prev := "0000000000000000000000000000000000000000000000000000000000000000"
	for i, e := range es {
		seq := int64(i + 1)
		canon, _ := json.Marshal([]any{seq, e.at, e.actor, e.action, e.subject, e.detail})
		h := sha256.Sum256(append([]byte(prev), canon...))
		hash := hex.EncodeToString(h[:])
		if _, err := db.Exec(`INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, e.at, e.actor, e.action, e.subject, e.detail, prev, hash); err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
	if _, err := db.Exec(`UPDATE audit_head SET seq = ?, hash = ?`, len(es), prev); err != nil {
		t.Fatal(err)
	}
}

// F7: a history rewritten on the kiosk's disk passes the plain chain
// check, but not the check against the head the central acknowledged, and
// the central raises an alarm at the next batch.
func TestRewrittenAuditHistoryIsDetected(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	w := &terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}
	r.save(t, 3)
	res, err := w.SyncOnce(ctx)
	if err != nil || res.Audit != ksync.AuditOK {
		t.Fatalf("first sync: %+v %v", res, err)
	}
	r.save(t, 2)
	if res, err = w.SyncOnce(ctx); err != nil || res.Audit != ksync.AuditOK {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	seq, hash, alarms, err := r.store.AuditState(ctx, "T-0001")
	if err != nil || seq == 0 || len(alarms) != 0 {
		t.Fatalf("central audit state: %d %v %v", seq, alarms, err)
	}
	if rep, _ := r.kiosk.VerifyAuditAnchor(ctx, seq, hash); !rep.OK {
		t.Fatalf("genuine log against the central's head: %+v", rep)
	}

	rewriteAudit(t, r.kiosk.SQL(), 3) // e.g. a looked-up retiree erased
	// The tamperer also resets the anchors the kiosk keeps.
	r.kiosk.SQL().Exec(`DELETE FROM setting WHERE key = 'audit_anchors'`)
	if rep, err := r.kiosk.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("the rewritten chain should verify on its own (that is the hole): %+v %v", rep, err)
	}
	if rep, _ := r.kiosk.VerifyAuditAnchor(ctx, seq, hash); rep.OK || rep.BadSeq != seq {
		t.Fatalf("rewritten log against the central's head %d: %+v, want caught", seq, rep)
	}
	r.save(t, 1)
	res, err = w.SyncOnce(ctx)
	if err != nil || res.Acked != 1 || res.Audit != ksync.AuditMismatch {
		t.Fatalf("sync after the rewrite: %+v %v, want the record acked and an audit mismatch", res, err)
	}
	_, _, alarms, _ = r.store.AuditState(ctx, "T-0001")
	if len(alarms) != 1 {
		t.Fatalf("central alarms: %+v", alarms)
	}
	if st, _ := r.store.Stats(ctx); st.AuditAlarms != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

// F7: deleting the newest entries (a rollback) is caught too, even with
// the kiosk's own anchor setting edited to match.
func TestRolledBackAuditHistoryIsDetected(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	w := &terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}
	r.save(t, 2)
	if res, err := w.SyncOnce(ctx); err != nil || res.Audit != ksync.AuditOK {
		t.Fatalf("sync: %+v %v", res, err)
	}
	seq, _, _, _ := r.store.AuditState(ctx, "T-0001")
	db := r.kiosk.SQL()
	db.Exec(`DROP TRIGGER audit_no_delete`)
	if _, err := db.Exec(`DELETE FROM audit WHERE seq > ?`, seq-3); err != nil {
		t.Fatal(err)
	}
	var h string
	db.QueryRow(`SELECT hash FROM audit WHERE seq = ?`, seq-3).Scan(&h)
	db.Exec(`UPDATE audit_head SET seq = ?, hash = ?`, seq-3, h)
	db.Exec(`DELETE FROM setting WHERE key = 'audit_anchors'`)
	if rep, _ := r.kiosk.VerifyAudit(ctx); !rep.OK {
		t.Fatalf("the truncated chain should verify on its own: %+v", rep)
	}
	r.save(t, 1)
	res, err := w.SyncOnce(ctx)
	if err != nil || res.Audit != ksync.AuditMismatch {
		t.Fatalf("sync after the rollback: %+v %v", res, err)
	}
}
