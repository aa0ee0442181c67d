package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"certkiosk"

	"github.com/google/uuid"
)

const timeFormat = time.RFC3339Nano

// SaveCertification stores a certification and its evidence in one
// durable transaction (synchronous=FULL): when it returns nil, the record
// survives a crash or a power cut. Evidence is encrypted to the evidence
// recipient before it is written. ID, receipt code, terminal and sync
// state are filled in here when empty. A pass moves the retiree's last
// certification date.
func (s *DB) SaveCertification(ctx context.Context, actor string, c *certkiosk.Certification, evidence []Evidence) error {
	if c.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("save certification: %w", err)
		}
		c.ID = id.String()
	}
	if _, err := certkiosk.ParseMethod(string(c.Method)); err != nil {
		return err
	}
	if _, err := certkiosk.ParseVerdict(string(c.Verdict)); err != nil {
		return err
	}
	if _, err := certkiosk.ParseFrameSource(string(c.FrameSource), c.Verdict); err != nil {
		return err
	}
	if _, err := certkiosk.ParseSpeechCheck(string(c.SpeechCheck), c.Method); err != nil {
		return err
	}
	if c.Attempt < 1 {
		c.Attempt = 1
	}
	if len(c.Metrics) == 0 {
		c.Metrics = json.RawMessage("{}")
	}
	if !json.Valid(c.Metrics) {
		return certkiosk.E(certkiosk.EINVALID, "error.store.metrics", "metrics are not JSON")
	}
	if c.Receipt == "" {
		c.Receipt = certkiosk.NewReceiptCode()
	}
	c.Sync = certkiosk.SyncPending
	save := func(tx *sql.Tx) error {
		if err := s.checkClock(ctx, tx, c); err != nil {
			return err
		}
		if c.Terminal == "" {
			if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM setting WHERE key = ?), ?)`,
				SetTerminalID, Unenrolled).Scan(&c.Terminal); err != nil {
				return err
			}
		}
		var recipient string
		var enc []EncryptedEvidence
		if len(evidence) > 0 {
			r, rec, err := s.evidenceRecipient(ctx, tx)
			if err != nil {
				return err
			}
			recipient = r
			for _, e := range evidence {
				ct, err := encrypt(rec, e.Data)
				if err != nil {
					return fmt.Errorf("encrypt %s: %w", e.Kind, err)
				}
				enc = append(enc, EncryptedEvidence{c.ID, e.Kind, recipient, sha256Hex(ct), ct})
			}
		}
		day := certkiosk.DateOf(c.Ended.In(certkiosk.China))
		c.Resume, c.BackpayMonths, c.BackpayMonth = certkiosk.Month{}, 0, certkiosk.Month{}
		if c.Verdict == certkiosk.VerdictPass {
			if err := s.resumption(ctx, tx, c, day); err != nil {
				return err
			}
		}
		var match any
		if c.PhotoMatch != nil {
			match = *c.PhotoMatch
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO certification (id, retiree_id, staff_id, terminal, method, challenge,
			verdict, reason, metrics, started_at, ended_at, attempt, receipt, sync_state, synthetic, created_at, frame_source,
			photo_match, resume_month, backpay_months, backpay_month, speech_check)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, string(c.RetireeID), c.StaffID, c.Terminal, string(c.Method), c.Challenge, string(c.Verdict),
			c.Reason, string(c.Metrics), c.Started.UTC().Format(timeFormat), c.Ended.UTC().Format(timeFormat),
			c.Attempt, string(c.Receipt), c.Synthetic, s.now().UTC().Format(timeFormat), string(c.FrameSource),
			match, c.Resume.String(), c.BackpayMonths, c.BackpayMonth.String(), string(c.SpeechCheck)); err != nil {
			if isForeignKey(err) {
				return certkiosk.E(certkiosk.EINVALID, "error.store.cert_refs", "save certification: %v", err)
			}
			return err
		}
		for _, e := range enc {
			if _, err := tx.ExecContext(ctx, `INSERT INTO evidence (cert_id, kind, recipient, sha256, ciphertext) VALUES (?, ?, ?, ?, ?)`,
				e.CertID, e.Kind, e.Recipient, e.SHA256, e.Ciphertext); err != nil {
				return err
			}
		}
		if c.Verdict == certkiosk.VerdictPass {
			if _, err := tx.ExecContext(ctx, `UPDATE retiree SET last_cert = ? WHERE id = ? AND (last_cert IS NULL OR last_cert < ?)`,
				day.String(), string(c.RetireeID), day.String()); err != nil {
				return err
			}
			// The best frame of a real pass becomes the reference photo
			// for the next visit, unless the central sent an ID photo.
			if err := s.keepLastPassPhoto(ctx, tx, c, evidence); err != nil {
				return err
			}
		}
		detail := map[string]any{
			"id": c.ID, "verdict": string(c.Verdict), "method": string(c.Method), "attempt": c.Attempt,
			"receipt": string(c.Receipt), "evidence": len(enc), "frame_source": string(c.FrameSource)}
		if c.PhotoMatch != nil {
			detail["photo_match"] = *c.PhotoMatch
		}
		if !c.Resume.IsZero() {
			detail["resume_month"] = c.Resume.String()
		}
		if c.SpeechCheck != "" {
			detail["speech_check"] = string(c.SpeechCheck)
		}
		return s.audit(ctx, tx, actor, ActCertification, c.RetireeID.Masked(), detail)
	}
	// One transaction: a record is saved whole or not at all. A full disk
	// first gives up the evidence past its retention, then the save is
	// tried once more; still full, the caller keeps the result and says so.
	err := s.inTx(ctx, save)
	if isDiskFull(err) {
		if n, perr := s.PurgeEvidence(ctx, actor); perr == nil && n > 0 {
			err = s.inTx(ctx, save)
		}
	}
	if isDiskFull(err) {
		e := certkiosk.E(certkiosk.EUNAVAILABLE, "error.store.disk_full", "save certification %s: disk full", c.ID)
		e.Err = err
		return e
	}
	if err != nil {
		return fmt.Errorf("save certification %s: %w", c.ID, err)
	}
	return nil
}

// CertFilter selects certifications; zero fields select everything.
type CertFilter = certkiosk.CertFilter

// ListCertifications returns certifications, newest first.
func (s *DB) ListCertifications(ctx context.Context, f CertFilter) ([]certkiosk.Certification, error) {
	q := `SELECT id, retiree_id, staff_id, terminal, method, challenge, verdict, reason, metrics, started_at, ended_at,
		attempt, receipt, sync_state, synthetic, frame_source, ` + certExtraCols + ` FROM certification WHERE 1=1`
	var args []any
	if f.State != "" {
		q += ` AND sync_state = ?`
		args = append(args, string(f.State))
	}
	if f.Verdict != "" {
		q += ` AND verdict = ?`
		args = append(args, string(f.Verdict))
	}
	if !f.Since.IsZero() {
		q += ` AND ended_at >= ?`
		args = append(args, f.Since.UTC().Format(timeFormat))
	}
	if !f.Until.IsZero() {
		q += ` AND ended_at < ?`
		args = append(args, f.Until.UTC().Format(timeFormat))
	}
	if f.Retiree != "" {
		q += ` AND retiree_id = ?`
		args = append(args, string(f.Retiree))
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list certifications: %w", err)
	}
	defer rows.Close()
	var out []certkiosk.Certification
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, fmt.Errorf("list certifications: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Certification returns one certification by ID.
func (s *DB) Certification(ctx context.Context, id string) (certkiosk.Certification, error) {
	c, err := scanCert(s.db.QueryRowContext(ctx, `SELECT id, retiree_id, staff_id, terminal, method, challenge, verdict,
		reason, metrics, started_at, ended_at, attempt, receipt, sync_state, synthetic, frame_source, `+certExtraCols+`
		FROM certification WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, certkiosk.E(certkiosk.ENOTFOUND, "error.store.cert_not_found", "certification %s not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("certification %s: %w", id, err)
	}
	return c, nil
}

// certExtraCols follow frame_source in every query scanCert reads.
const certExtraCols = `photo_match, resume_month, backpay_months, backpay_month, speech_check`

func scanCert(sc scanner) (certkiosk.Certification, error) {
	var c certkiosk.Certification
	var metrics, started, ended, resume, backpay string
	var match sql.NullBool
	if err := sc.Scan(&c.ID, &c.RetireeID, &c.StaffID, &c.Terminal, &c.Method, &c.Challenge, &c.Verdict, &c.Reason,
		&metrics, &started, &ended, &c.Attempt, &c.Receipt, &c.Sync, &c.Synthetic, &c.FrameSource,
		&match, &resume, &c.BackpayMonths, &backpay, &c.SpeechCheck); err != nil {
		return c, err
	}
	c.Metrics = json.RawMessage(metrics)
	if match.Valid {
		c.PhotoMatch = &match.Bool
	}
	var err error
	if resume != "" {
		if c.Resume, err = certkiosk.ParseMonth(resume); err != nil {
			return c, err
		}
	}
	if backpay != "" {
		if c.BackpayMonth, err = certkiosk.ParseMonth(backpay); err != nil {
			return c, err
		}
	}
	if c.Started, err = time.Parse(timeFormat, started); err != nil {
		return c, err
	}
	if c.Ended, err = time.Parse(timeFormat, ended); err != nil {
		return c, err
	}
	return c, nil
}

// CountByState counts certifications per sync state.
func (s *DB) CountByState(ctx context.Context) (map[certkiosk.SyncState]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sync_state, count(*) FROM certification GROUP BY sync_state`)
	if err != nil {
		return nil, fmt.Errorf("count certifications: %w", err)
	}
	defer rows.Close()
	out := map[certkiosk.SyncState]int{}
	for rows.Next() {
		var st certkiosk.SyncState
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count certifications: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// MarkSent moves pending records to sent (a batch is on its way).
func (s *DB) MarkSent(ctx context.Context, actor string, ids []string) error {
	return s.markState(ctx, actor, ids, certkiosk.SyncSent, `sync_state = 'pending'`)
}

// MarkAcked records that the central service acknowledged these records;
// their evidence is purged after the retention period.
func (s *DB) MarkAcked(ctx context.Context, actor string, ids []string) error {
	return s.markState(ctx, actor, ids, certkiosk.SyncAcked, `sync_state <> 'acked'`)
}

func (s *DB) markState(ctx context.Context, actor string, ids []string, to certkiosk.SyncState, from string) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UTC().Format(timeFormat)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE certification SET sync_state = ?,
			acked_at = CASE WHEN ? = 'acked' THEN ? ELSE acked_at END WHERE id = ? AND `+from)
		if err != nil {
			return err
		}
		defer st.Close()
		moved := 0
		for _, id := range ids {
			res, err := st.ExecContext(ctx, string(to), string(to), now, id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			moved += int(n)
		}
		return s.audit(ctx, tx, actor, ActSyncState, string(to), map[string]any{"records": len(ids), "moved": moved})
	})
	if err != nil {
		return fmt.Errorf("mark %d record(s) %s: %w", len(ids), to, err)
	}
	return nil
}

// DayCounts counts the certifications that ended on day (China time), by
// verdict, for the home screen.
func (s *DB) DayCounts(ctx context.Context, day certkiosk.Date) (map[certkiosk.Verdict]int, error) {
	start := time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, certkiosk.China)
	rows, err := s.db.QueryContext(ctx, `SELECT verdict, count(*) FROM certification WHERE ended_at >= ? AND ended_at < ?
		GROUP BY verdict`, start.UTC().Format(timeFormat), start.AddDate(0, 0, 1).UTC().Format(timeFormat))
	if err != nil {
		return nil, fmt.Errorf("day counts: %w", err)
	}
	defer rows.Close()
	out := map[certkiosk.Verdict]int{}
	for rows.Next() {
		var v certkiosk.Verdict
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("day counts: %w", err)
		}
		out[v] = n
	}
	return out, rows.Err()
}

// SetBackpayCutoffDay is the setting for the last day of a month on which a
// certification still brings the back pay in the resumption month
// (certkiosk.DefaultBackpayCutoffDay unless the central pushes another).
const SetBackpayCutoffDay Key = "backpay_cutoff_day"

// BackpayCutoffDay returns the cut-off day in force.
func (s *DB) BackpayCutoffDay(ctx context.Context) (int, error) {
	v, err := s.Setting(ctx, SetBackpayCutoffDay, strconv.Itoa(certkiosk.DefaultBackpayCutoffDay))
	if err != nil {
		return 0, err
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 1 || d > 31 {
		return 0, fmt.Errorf("bad %s setting %q", SetBackpayCutoffDay, v)
	}
	return d, nil
}

// SetBackpayCutoff changes the cut-off day (1–31), audited.
func (s *DB) SetBackpayCutoff(ctx context.Context, actor string, day int) error {
	if day < 1 || day > 31 {
		return certkiosk.E(certkiosk.EINVALID, "error.store.cutoff_day", "cut-off day %d out of range", day)
	}
	return s.SetSetting(ctx, actor, SetBackpayCutoffDay, strconv.Itoa(day))
}

// resumption fills in what a pass on day means for c's retiree, from the
// retiree as stored before the pass moves its last certification.
func (s *DB) resumption(ctx context.Context, tx *sql.Tx, c *certkiosk.Certification, day certkiosk.Date) error {
	r, err := scanRetiree(tx.QueryRowContext(ctx, `SELECT `+retireeCols+` FROM retiree WHERE id = ?`, string(c.RetireeID)))
	if errors.Is(err, sql.ErrNoRows) {
		return certkiosk.E(certkiosk.EINVALID, "error.store.cert_refs", "retiree %s not on the roster", c.RetireeID.Masked())
	}
	if err != nil {
		return err
	}
	cutoff := certkiosk.DefaultBackpayCutoffDay
	var v string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, SetBackpayCutoffDay).Scan(&v); {
	case err == nil:
		if d, perr := strconv.Atoi(v); perr == nil && d >= 1 && d <= 31 {
			cutoff = d
		}
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if resume, n, bp, ok := r.ResumptionOn(day, cutoff); ok {
		c.Resume, c.BackpayMonths, c.BackpayMonth = resume, n, bp
	}
	return nil
}

// keepLastPassPhoto stores the best frame of a camera pass as the
// retiree's reference photo, unless the central sent one.
func (s *DB) keepLastPassPhoto(ctx context.Context, tx *sql.Tx, c *certkiosk.Certification, evidence []Evidence) error {
	if c.FrameSource != certkiosk.FrameCamera && c.FrameSource != certkiosk.FrameDemo {
		return nil
	}
	for _, e := range evidence {
		if e.Kind != EvidenceBestFrame || !isJPEG(e.Data) || len(e.Data) > MaxReferencePhotoBytes {
			continue
		}
		var src string
		err := tx.QueryRowContext(ctx, `SELECT source FROM reference_photo WHERE retiree_id = ?`, string(c.RetireeID)).Scan(&src)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if src == RefCentral {
			return nil
		}
		return s.putReferencePhoto(ctx, tx, c.RetireeID, RefLastPass, e.Data)
	}
	return nil
}
