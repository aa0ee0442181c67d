package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"certkiosk"
)

// Setting keys written at enrollment.
const (
	SetTerminalKey       Key = "terminal_key"        // base64 Ed25519 seed; the DB file is 0600
	SetCentralURL        Key = "central_url"         // https://…
	SetCentralSigningKey Key = "central_signing_key" // base64 Ed25519 public key
	SetCentralCertPin    Key = "central_cert_sha256" // SPKI pin of the central's TLS certificate
	SetInsecureHTTP      Key = "central_insecure_http"
	SetLastSync              = certkiosk.SettingLastSync
)

// OutboxRecord is a certification waiting for the central, with its
// encrypted evidence.
type OutboxRecord struct {
	certkiosk.Certification
	Evidence []EncryptedEvidence
}

// Outbox returns up to limit records that the central has not
// acknowledged and did not refuse, oldest first, stopping before maxBytes
// of evidence (but always at least one record).
func (s *DB) Outbox(ctx context.Context, limit, maxBytes int) ([]OutboxRecord, error) {
	return s.OutboxAfter(ctx, "", limit, maxBytes)
}

// OutboxAfter is Outbox for the records after ID after (IDs are
// time-ordered), so a sender can prepare the next batch while the last
// one is still on its way.
func (s *DB) OutboxAfter(ctx context.Context, after string, limit, maxBytes int) ([]OutboxRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, retiree_id, staff_id, terminal, method, challenge, verdict, reason,
		metrics, started_at, ended_at, attempt, receipt, sync_state, synthetic, frame_source, `+certExtraCols+` FROM certification
		WHERE sync_state <> 'acked' AND sync_error = '' AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var out []OutboxRecord
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("outbox: %w", err)
		}
		out = append(out, OutboxRecord{Certification: c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	size := 0
	for i := range out {
		ev, err := s.EvidenceOf(ctx, out[i].ID)
		if err != nil {
			return nil, err
		}
		for _, e := range ev {
			size += len(e.Ciphertext)
		}
		if i > 0 && size > maxBytes {
			return out[:i], nil
		}
		out[i].Evidence = ev
	}
	return out, nil
}

// MarkRefused records that the central refused a record (conflict or
// invalid), so it is not sent again blindly.
func (s *DB) MarkRefused(ctx context.Context, actor, id, reason string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE certification SET sync_error = ? WHERE id = ?`, reason, id); err != nil {
			return err
		}
		if err := unrefusedLastCert(ctx, tx, id, reason); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, ActSync, "refused", map[string]any{"id": id, "reason": reason})
	})
	if err != nil {
		return fmt.Errorf("mark %s refused: %w", id, err)
	}
	return nil
}

// refusedInvalid begins the reason of a record the central refused as
// invalid (sync/terminal writes "<status>: <detail>"; the central's
// "invalid" is a record it will never hold, e.g. one dated years ahead of
// its clock, where "conflict" means it holds another version).
const refusedInvalid = "invalid:"

// unrefusedLastCert takes a pass the central refused as invalid (id) out
// of its retiree's last certification: it certified nobody (one made
// while the BIOS date was years ahead would otherwise leave the retiree
// certified until then). The date falls back to the roster's own
// (roster_last_cert: the central's, as last sent) or the retiree's other
// passes here that the central has not refused as invalid, the later.
func unrefusedLastCert(ctx context.Context, tx *sql.Tx, id, reason string) error {
	if !strings.HasPrefix(reason, refusedInvalid) {
		return nil
	}
	var retiree, verdict, ended string
	err := tx.QueryRowContext(ctx, `SELECT retiree_id, verdict, ended_at FROM certification WHERE id = ?`, id).
		Scan(&retiree, &verdict, &ended)
	if errors.Is(err, sql.ErrNoRows) || err == nil && verdict != string(certkiosk.VerdictPass) {
		return nil // not here, or no pass: it certified nobody anyway
	}
	if err != nil {
		return fmt.Errorf("refused record: %w", err)
	}
	day := func(s string) (certkiosk.Date, error) {
		t, err := time.Parse(timeFormat, s)
		if err != nil {
			return certkiosk.Date{}, fmt.Errorf("record time %q: %w", s, err)
		}
		return certkiosk.DateOf(t.In(certkiosk.China)), nil
	}
	refusedDay, err := day(ended)
	if err != nil {
		return err
	}
	// The roster's date and this retiree's latest other pass here that
	// the central has not refused as invalid (times sort as text, as in
	// checkClock).
	var roster, other sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT roster_last_cert, (SELECT max(ended_at) FROM certification
		WHERE retiree_id = retiree.id AND verdict = ? AND id <> ?
		AND (sync_state = 'acked' OR sync_error NOT LIKE '`+refusedInvalid+`%')) FROM retiree WHERE id = ?`,
		string(certkiosk.VerdictPass), id, retiree).Scan(&roster, &other); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return fmt.Errorf("roster's and other passes' last certification: %w", err)
	}
	var last certkiosk.Date
	if roster.Valid && roster.String != "" {
		if last, err = certkiosk.ParseDate(roster.String); err != nil {
			return fmt.Errorf("roster's last certification: %w", err)
		}
	}
	if other.Valid {
		d, err := day(other.String)
		if err != nil {
			return err
		}
		if d.After(last) {
			last = d
		}
	}
	// Only when the refused pass is what set the date: a later date came
	// from elsewhere and stands.
	if _, err := tx.ExecContext(ctx, `UPDATE retiree SET last_cert = ? WHERE id = ? AND last_cert = ?`,
		nullDate(last), retiree, refusedDay.String()); err != nil {
		return fmt.Errorf("last certification: %w", err)
	}
	return nil
}

// SyncCounts are the outbox's figures for screens and `kioskctl sync`.
type SyncCounts = certkiosk.SyncCounts

// SyncCounts counts the outbox.
func (s *DB) SyncCounts(ctx context.Context) (SyncCounts, error) {
	var c SyncCounts
	err := s.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(sync_state <> 'acked' AND sync_error = ''), 0),
		coalesce(sum(sync_state = 'acked'), 0),
		coalesce(sum(sync_state <> 'acked' AND sync_error <> ''), 0) FROM certification`).Scan(&c.Pending, &c.Acked, &c.Refused)
	if err != nil {
		return c, fmt.Errorf("sync counts: %w", err)
	}
	return c, nil
}

// Unenrolled is the terminal name records carry before enrollment.
const Unenrolled = "UNENROLLED"

// AdoptUnenrolled gives the records saved before enrollment, and never
// sent, the terminal ID enrollment assigned: the central accepts a
// terminal's records only under its own ID.
func (s *DB) AdoptUnenrolled(ctx context.Context, actor, terminal string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE certification SET terminal = ? WHERE terminal = ? AND sync_state = 'pending'`,
			terminal, Unenrolled)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, ActSync, terminal, map[string]any{"adopted_unenrolled": n})
	})
	if err != nil {
		return 0, fmt.Errorf("adopt records saved before enrollment: %w", err)
	}
	return int(n), nil
}
