package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"certkiosk"
)

// Audit actions. Subjects are masked identity numbers or other non-secret
// names; details are small JSON objects.
const (
	ActLogin          = "staff.login"
	ActLoginFailed    = "staff.login_failed"
	ActLocked         = "staff.locked"
	ActStaffAdd       = "staff.add"
	ActStaffPasswd    = "staff.passwd"
	ActLookup         = "retiree.lookup"
	ActRosterImport   = "roster.import"
	ActCertification  = "certification.save"
	ActSyncState      = "certification.sync"
	ActEvidencePurge  = "evidence.purge"
	ActSettingChange  = "setting.change"
	ActInit           = "terminal.init"
	ActExport         = "records.export"
	ActSync           = "sync.event"
	ActContact        = "retiree.contact"  // contact details confirmed or corrected
	ActRelative       = "retiree.relative" // a relative's contact set or removed
	ActReferencePhoto = "reference.store"
	ActReferenceView  = "reference.view"
	ActReferencePurge = "reference.purge"
	ActCardRead       = certkiosk.ActionCardRead // an identity card read on the reader (number masked)
	genesisHash       = "0000000000000000000000000000000000000000000000000000000000000000"
	auditTimeFormat   = "2006-01-02T15:04:05.000000Z07:00"
	auditDetailLimit  = 4096
	auditSubjectLimit = 200
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    string // "staff:A001", "kioskctl", "sync"
	Action   string
	Subject  string // masked
	Detail   string // JSON object
	PrevHash string
	Hash     string
}

// canonical is the byte string hashed for an entry: a JSON array of its
// fields in a fixed order (encoding/json writes strings and numbers one way).
func (e AuditEntry) canonical() []byte {
	b, _ := json.Marshal([]any{e.Seq, e.At.UTC().Format(auditTimeFormat), e.Actor, e.Action, e.Subject, e.Detail})
	return b
}

func chainHash(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends an entry in its own transaction.
func (s *DB) Audit(ctx context.Context, actor, action, subject string, detail map[string]any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.audit(ctx, tx, actor, action, subject, detail) })
}

// audit appends an entry inside tx, so the entry lands with the change it
// records or not at all. _txlock=immediate serialises writers, so the head
// read here is the head the entry chains to.
func (s *DB) audit(ctx context.Context, tx *sql.Tx, actor, action, subject string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	d, err := json.Marshal(detail) // map keys come out sorted
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if len(d) > auditDetailLimit || len(subject) > auditSubjectLimit {
		return fmt.Errorf("audit %s: entry too large", action)
	}
	var seq int64
	prev := genesisHash
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE one = 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit %s: read head: %w", action, err)
	}
	e := AuditEntry{Seq: seq + 1, At: s.now().UTC(), Actor: actor, Action: action, Subject: subject,
		Detail: string(d), PrevHash: prev}
	e.Hash = chainHash(prev, e.canonical())
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.Format(auditTimeFormat), e.Actor, e.Action, e.Subject,
		e.Detail, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT (one) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("audit %s: move head: %w", action, err)
	}
	return nil
}

// AuditReport is the outcome of VerifyAudit.
type AuditReport struct {
	Entries  int    // entries checked
	OK       bool   // the whole chain holds
	BadSeq   int64  // first entry that was edited, deleted, inserted or reordered (0 when OK)
	Problem  string // what is wrong there, in English
	HeadHash string // hash of the newest entry
}

// VerifyAudit walks the chain from the first entry and reports the first
// one that breaks it.
func (s *DB) VerifyAudit(ctx context.Context) (AuditReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq`)
	if err != nil {
		return AuditReport{}, fmt.Errorf("verify audit: %w", err)
	}
	defer rows.Close()
	rep := AuditReport{OK: true, HeadHash: genesisHash}
	fail := func(seq int64, problem string) {
		if rep.OK {
			rep.OK, rep.BadSeq, rep.Problem = false, seq, problem
		}
	}
	var want int64 = 1
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return rep, fmt.Errorf("verify audit: %w", err)
		}
		rep.Entries++
		if !rep.OK {
			continue
		}
		t, err := time.Parse(auditTimeFormat, at)
		switch {
		case e.Seq != want:
			fail(want, fmt.Sprintf("entry %d is missing (next is %d)", want, e.Seq))
		case e.PrevHash != rep.HeadHash:
			fail(e.Seq, "does not chain to the entry before it (deleted, inserted or reordered)")
		case err != nil:
			fail(e.Seq, "time field was edited")
		default:
			e.At = t
			if chainHash(e.PrevHash, e.canonical()) != e.Hash {
				fail(e.Seq, "content was edited")
			}
		}
		rep.HeadHash = e.Hash
		want = e.Seq + 1
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("verify audit: %w", err)
	}
	var headSeq int64
	var headHash string
	err = s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE one = 1`).Scan(&headSeq, &headHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if rep.Entries > 0 {
			fail(1, "the log's head record was deleted")
		}
	case err != nil:
		return rep, fmt.Errorf("verify audit: read head: %w", err)
	case rep.OK && headSeq != want-1:
		fail(want, fmt.Sprintf("entries %d to %d were deleted from the end", want, headSeq))
	case rep.OK && headHash != rep.HeadHash:
		fail(headSeq, "the newest entry was edited")
	}
	if rep.OK { // the head the central last acknowledged must still be there
		if a, err := s.GetAuditAnchors(ctx); err == nil && a.AckedSeq > 0 {
			if h, err := s.AuditHashAt(ctx, a.AckedSeq); err == nil && h != a.AckedHash {
				fail(a.AckedSeq, "not the entry the central acknowledged: the history was rewritten")
			}
		}
	}
	return rep, nil
}

// AuditEntries returns the newest entries (for screens and kioskctl).
func (s *DB) AuditEntries(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, action, subject, detail, prev_hash, hash
		FROM audit ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("audit entries: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit entries: %w", err)
		}
		e.At, _ = time.Parse(auditTimeFormat, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditHead returns the newest entry's sequence number and hash (0 and ""
// for an empty log).
func (s *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE one = 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit head: %w", err)
	}
	return seq, hash, nil
}

// AuditHashAt returns the hash of entry seq, "" when there is none.
func (s *DB) AuditHashAt(ctx context.Context, seq int64) (string, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM audit WHERE seq = ?`, seq).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit entry %d: %w", seq, err)
	}
	return hash, nil
}

// SetAuditAnchors is the setting holding AuditAnchors (JSON).
const SetAuditAnchors Key = "audit_anchors"

// AuditAnchors are the audit heads this terminal showed the central: the
// last one the central acknowledged, and those sent since.
type AuditAnchors struct {
	AckedSeq  int64   `json:"acked_seq"`
	AckedHash string  `json:"acked_hash"`
	Sent      []int64 `json:"sent"`
}

// GetAuditAnchors reads the anchors (zero before the first sync).
func (s *DB) GetAuditAnchors(ctx context.Context) (AuditAnchors, error) {
	var a AuditAnchors
	v, err := s.Setting(ctx, SetAuditAnchors, "")
	if err != nil || v == "" {
		return a, err
	}
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return AuditAnchors{}, fmt.Errorf("audit anchors: %w", err)
	}
	return a, nil
}

// PutAuditAnchors stores the anchors. It writes no audit entry: the
// anchors are the log's own bookkeeping, and editing them only makes the
// central raise an alarm.
func (s *DB) PutAuditAnchors(ctx context.Context, a AuditAnchors) error {
	b, _ := json.Marshal(a)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, SetAuditAnchors, string(b)); err != nil {
		return fmt.Errorf("audit anchors: %w", err)
	}
	return nil
}

// VerifyAuditAnchor checks the chain and that entry seq still has hash:
// the head the central acknowledged (centrald terminal audit). A history
// deleted or rewritten and re-chained passes VerifyAudit but not this.
func (s *DB) VerifyAuditAnchor(ctx context.Context, seq int64, hash string) (AuditReport, error) {
	rep, err := s.VerifyAudit(ctx)
	if err != nil || !rep.OK || seq == 0 {
		return rep, err
	}
	got, err := s.AuditHashAt(ctx, seq)
	if err != nil {
		return rep, err
	}
	if got != hash {
		rep.OK, rep.BadSeq = false, seq
		rep.Problem = fmt.Sprintf("entry %d is not the one the central acknowledged: the history up to it was rewritten", seq)
		if got == "" {
			rep.Problem = fmt.Sprintf("entry %d, acknowledged by the central, is gone: entries were deleted", seq)
		}
	}
	return rep, nil
}
