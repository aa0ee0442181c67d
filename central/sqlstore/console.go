package sqlstore

// The office console's queries (package console): accounts, audit trail,
// review queue, retirees, lists, terminals and the dashboard. The pension
// state they read is kept by RefreshPension (console_pension.go).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/sync"
)

var _ central.ConsoleStorage = (*Store)(nil)

// Days and months are kept as integers YYYYMMDD and YYYYMM.
func dayInt(d certkiosk.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }

func intDay(n int) certkiosk.Date {
	if n == 0 {
		return certkiosk.Date{}
	}
	return certkiosk.Date{Year: n / 10000, Month: time.Month(n / 100 % 100), Day: n % 100}
}

func monthInt(m certkiosk.Month) int { return m.Year*100 + int(m.Month) }

func intMonth(n int) certkiosk.Month {
	if n == 0 {
		return certkiosk.Month{}
	}
	return certkiosk.Month{Year: n / 100, Month: time.Month(n % 100)}
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func argList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// AddConsoleUser implements central.ConsoleStorage.
func (s *Store) AddConsoleUser(ctx context.Context, u central.User, pinHash string, now time.Time) error {
	n, err := s.execN(ctx, s.db, `INSERT INTO console_user (id, name, role, pin_hash, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, u.ID, u.Name, u.Role, pinHash, s.ts(now))
	if err != nil {
		return fmt.Errorf("add console user %s: %w", u.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("console user %s: %w", u.ID, central.ErrExists)
	}
	return nil
}

// ConsoleUser implements central.ConsoleStorage.
func (s *Store) ConsoleUser(ctx context.Context, id string) (central.User, string, error) {
	var u central.User
	var hash string
	err := s.row(ctx, s.db, `SELECT id, name, role, pin_hash, failed, locked_until, disabled, pin_changed_at FROM console_user WHERE id = ?`, id).
		Scan(&u.ID, &u.Name, &u.Role, &hash, &u.Failed, scanTime{&u.LockedUntil}, &u.Disabled, scanTime{&u.PINChanged})
	if errors.Is(err, sql.ErrNoRows) {
		return u, "", central.ErrNotFound
	}
	if err != nil {
		return u, "", fmt.Errorf("console user: %w", err)
	}
	return u, hash, nil
}

// SetConsoleLogin implements central.ConsoleStorage.
func (s *Store) SetConsoleLogin(ctx context.Context, id string, failed int, lockedUntil time.Time) error {
	var locked any
	if !lockedUntil.IsZero() {
		locked = s.ts(lockedUntil)
	}
	if _, err := s.exec(ctx, s.db, `UPDATE console_user SET failed = ?, locked_until = ? WHERE id = ?`, failed, locked, id); err != nil {
		return fmt.Errorf("console login state of %s: %w", id, err)
	}
	return nil
}

// ConsoleLoginFailed implements central.ConsoleStorage: one statement, so two
// wrong PINs at the same moment both count.
func (s *Store) ConsoleLoginFailed(ctx context.Context, id string, max int, lockUntil time.Time) (bool, error) {
	if _, err := s.exec(ctx, s.db, `UPDATE console_user
		SET failed = CASE WHEN failed + 1 >= ? THEN 0 ELSE failed + 1 END,
			locked_until = CASE WHEN failed + 1 >= ? THEN ? ELSE locked_until END
		WHERE id = ?`, max, max, s.ts(lockUntil), id); err != nil {
		return false, fmt.Errorf("count a wrong PIN of %s: %w", id, err)
	}
	u, _, err := s.ConsoleUser(ctx, id)
	if err != nil {
		return false, err
	}
	return u.LockedUntil.After(lockUntil.Add(-time.Second)), nil // the database may round the time
}

// ConsoleAudit implements central.ConsoleStorage.
func (s *Store) ConsoleAudit(ctx context.Context, e central.AuditEntry) error {
	if _, err := s.exec(ctx, s.db, `INSERT INTO console_audit (at, user_id, action, subject, detail) VALUES (?, ?, ?, ?, ?)`,
		s.ts(e.At), e.User, e.Action, e.Subject, e.Detail); err != nil {
		return fmt.Errorf("console audit: %w", err)
	}
	return nil
}

// ConsoleAuditLog implements central.ConsoleStorage: newest first, paged by seq.
func (s *Store) ConsoleAuditLog(ctx context.Context, f central.AuditFilter, limit int) ([]central.AuditEntry, error) {
	q, args := `SELECT seq, at, user_id, action, subject, detail FROM console_audit WHERE TRUE`, []any{}
	if f.Action != "" {
		q, args = q+` AND action = ?`, append(args, f.Action)
	}
	if f.User != "" {
		q, args = q+` AND user_id = ?`, append(args, f.User)
	}
	if f.Before > 0 {
		q, args = q+` AND seq < ?`, append(args, f.Before)
	}
	q, args = q+` ORDER BY seq DESC LIMIT ?`, append(args, limit)
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("console audit log: %w", err)
	}
	defer rows.Close()
	var out []central.AuditEntry
	for rows.Next() {
		var e central.AuditEntry
		if err := rows.Scan(&e.Seq, scanTime{&e.At}, &e.User, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, fmt.Errorf("console audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// caseColumns are read by scanCase, from record r left-joined with review_case c.
const caseColumns = `r.id, r.terminal, CAST(r.body AS TEXT), r.review, r.frame_source,
	EXISTS (SELECT 1 FROM evidence e WHERE e.record_id = r.id AND e.kind = 'best_frame'),
	coalesce(c.decision, ''), coalesce(c.reason, ''), coalesce(c.decided_by, ''), c.decided_at`

func scanCase(rows interface{ Scan(...any) error }) (central.Case, error) {
	var c central.Case
	var body string
	if err := rows.Scan(&c.RecordID, &c.Terminal, &body, &c.Review, &c.Source, &c.HasFrame,
		&c.Decision, &c.DecReason, &c.DecidedBy, scanTime{&c.DecidedAt}); err != nil {
		return c, err
	}
	var r sync.Record
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return c, fmt.Errorf("record %s: %w", c.RecordID, err)
	}
	c.RetireeID, c.StaffID, c.Method, c.Verdict, c.Reason = r.RetireeID, r.StaffID, r.Method, r.Verdict, r.Reason
	c.Metrics, c.Attempt, c.Ended, c.SpeechCheck = string(r.Metrics), r.Attempt, r.Ended, r.SpeechCheck
	return c, nil
}

func (s *Store) cases(ctx context.Context, q string, args ...any) ([]central.Case, error) {
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []central.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OpenCases implements central.ConsoleStorage: oldest first.
func (s *Store) OpenCases(ctx context.Context, limit int) ([]central.Case, error) {
	out, err := s.cases(ctx, `SELECT `+caseColumns+` FROM review_case c JOIN record r ON r.id = c.record_id
		WHERE c.is_open ORDER BY c.ended_at, c.record_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return out, nil
}

// Case implements central.ConsoleStorage: any record, with its decision if it is
// (or was) a case.
func (s *Store) Case(ctx context.Context, recordID string) (central.Case, error) {
	out, err := s.cases(ctx, `SELECT `+caseColumns+` FROM record r LEFT JOIN review_case c ON c.record_id = r.id
		WHERE r.id = ?`, recordID)
	if err != nil {
		return central.Case{}, fmt.Errorf("case %s: %w", recordID, err)
	}
	if len(out) == 0 {
		return central.Case{}, central.ErrNotFound
	}
	return out[0], nil
}

// RecordsOf implements central.ConsoleStorage.
func (s *Store) RecordsOf(ctx context.Context, retireeID string, limit int) ([]central.Case, error) {
	out, err := s.cases(ctx, `SELECT `+caseColumns+` FROM record r LEFT JOIN review_case c ON c.record_id = r.id
		WHERE r.retiree_id = ? ORDER BY r.ended_at DESC LIMIT ?`, retireeID, limit)
	if err != nil {
		return nil, fmt.Errorf("records of %s: %w", certkiosk.Mask(retireeID), err)
	}
	return out, nil
}

// Evidence implements central.ConsoleStorage.
func (s *Store) Evidence(ctx context.Context, recordID, kind string) ([]byte, error) {
	var ct []byte
	err := s.row(ctx, s.db, `SELECT ciphertext FROM evidence WHERE record_id = ? AND kind = ?`, recordID, kind).Scan(&ct)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, central.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("evidence of %s: %w", recordID, err)
	}
	return ct, nil
}

// Decide implements central.ConsoleStorage. An approval is the retiree's
// certification on day: the roster entry's last certification moves to
// day under a new roster version, so terminals receive it with their next
// roster download, and the pension state is recomputed at once.
func (s *Store) Decide(ctx context.Context, recordID, decision, reason, user string, at time.Time, day certkiosk.Date) error {
	if decision != central.Approve && decision != central.Reject {
		return fmt.Errorf("decide %s: unknown decision %q", recordID, decision)
	}
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		// The pension state is recomputed below: take its lock first, as
		// the background refresh does, so the two never interleave.
		if err := s.lock(ctx, tx, "pension"); err != nil {
			return err
		}
		var open bool
		var retiree string
		err := s.row(ctx, tx, `SELECT is_open, retiree_id FROM review_case WHERE record_id = ?`+s.d.ForUpdate, recordID).Scan(&open, &retiree)
		if errors.Is(err, sql.ErrNoRows) {
			return central.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !open {
			return central.ErrDecided
		}
		if _, err := s.exec(ctx, tx, `UPDATE review_case SET is_open = FALSE, decision = ?, reason = ?, decided_by = ?,
			decided_at = ?, decided_day = ? WHERE record_id = ?`, decision, reason, user, s.ts(at), dayInt(day), recordID); err != nil {
			return err
		}
		if decision != central.Approve {
			return nil
		}
		if err := s.publishCertification(ctx, tx, retiree, day); err != nil {
			return err
		}
		return s.recompute(ctx, tx, []string{retiree})
	})
	if err != nil {
		return fmt.Errorf("decide %s: %w", recordID, err)
	}
	return nil
}

// publishCertification sets the roster entry's last certification to day
// (when later) as a new roster version. Unknown fields of the entry are
// kept as they are.
func (s *Store) publishCertification(ctx context.Context, tx *sql.Tx, retiree string, day certkiosk.Date) error {
	var version int64
	if err := s.row(ctx, tx, `SELECT value FROM counter WHERE name = 'roster_version'`+s.d.ForUpdate).Scan(&version); err != nil {
		return err
	}
	var entry string
	err := s.row(ctx, tx, `SELECT CAST(entry AS TEXT) FROM roster WHERE id = ? AND NOT deleted`, retiree).Scan(&entry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not on the roster: nothing to publish
	}
	if err != nil {
		return err
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(entry), &e); err != nil {
		return fmt.Errorf("roster entry: %w", err)
	}
	last, _ := e["last_cert"].(string)
	if last >= day.String() {
		return nil
	}
	// Keep the date being replaced: the suspension this approval ends
	// started from it.
	if d, err := certkiosk.ParseDate(last); err == nil {
		if _, err := s.exec(ctx, tx, `INSERT INTO pension_roster_cert (retiree_id, day, kept) VALUES (?, ?, TRUE)
			ON CONFLICT (retiree_id, day) DO UPDATE SET kept = TRUE`, retiree, dayInt(d)); err != nil {
			return err
		}
	}
	e["last_cert"] = day.String()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, tx, `UPDATE roster SET entry = ?, version = ? WHERE id = ?`, string(b), version+1, retiree); err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `UPDATE counter SET value = ? WHERE name = 'roster_version'`, version+1)
	return err
}

func parseEntry(id, entry string) (central.Retiree, error) {
	var e sync.RosterEntry
	if err := json.Unmarshal([]byte(entry), &e); err != nil {
		return central.Retiree{}, fmt.Errorf("roster entry %s: %w", certkiosk.Mask(id), err)
	}
	return central.Retiree{ID: id, Name: e.Name, Female: e.Female, Birth: e.Birth, Category: e.Category,
		Phone: e.Phone, Address: e.Address, RosterLastCert: e.LastCert}, nil
}

// Retiree implements central.ConsoleStorage.
func (s *Store) Retiree(ctx context.Context, id string) (central.Retiree, error) {
	var entry string
	var deleted bool
	err := s.row(ctx, s.db, `SELECT CAST(entry AS TEXT), deleted FROM roster WHERE id = ?`, id).Scan(&entry, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return central.Retiree{}, central.ErrNotFound
	}
	if err != nil {
		return central.Retiree{}, fmt.Errorf("retiree %s: %w", certkiosk.Mask(id), err)
	}
	r, err := parseEntry(id, entry)
	if err != nil {
		return r, err
	}
	r.Deleted = deleted
	var last int
	err = s.row(ctx, s.db, `SELECT last_day FROM pension_state WHERE retiree_id = ?`, id).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("retiree %s: %w", certkiosk.Mask(id), err)
	}
	r.Last = intDay(last)
	return r, nil
}

// FindRetirees implements central.ConsoleStorage: an identity number (exact) or a
// name (exact), live roster entries only.
func (s *Store) FindRetirees(ctx context.Context, query string, limit int) ([]central.Retiree, error) {
	query = strings.ToUpper(strings.TrimSpace(query))
	rows, err := s.query(ctx, s.db, `SELECT r.id, CAST(r.entry AS TEXT), coalesce(p.last_day, 0) FROM roster r
		LEFT JOIN pension_state p ON p.retiree_id = r.id
		WHERE (r.id = ? OR r.name = ?) AND NOT r.deleted ORDER BY r.id LIMIT ?`, query, query, limit)
	if err != nil {
		return nil, fmt.Errorf("find retirees: %w", err)
	}
	defer rows.Close()
	var out []central.Retiree
	for rows.Next() {
		var id, entry string
		var last int
		if err := rows.Scan(&id, &entry, &last); err != nil {
			return nil, fmt.Errorf("find retirees: %w", err)
		}
		r, err := parseEntry(id, entry)
		if err != nil {
			return nil, err
		}
		r.Last = intDay(last)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Episodes implements central.ConsoleStorage: oldest first.
func (s *Store) Episodes(ctx context.Context, retireeID string) ([]central.Episode, error) {
	rows, err := s.query(ctx, s.db, `SELECT since_month, until_month, resume_month, last_day, certified_day
		FROM pension_episode WHERE retiree_id = ? ORDER BY since_month`, retireeID)
	if err != nil {
		return nil, fmt.Errorf("episodes: %w", err)
	}
	defer rows.Close()
	var out []central.Episode
	for rows.Next() {
		var since, until, resume, last, cert int
		if err := rows.Scan(&since, &until, &resume, &last, &cert); err != nil {
			return nil, fmt.Errorf("episodes: %w", err)
		}
		out = append(out, central.Episode{Since: intMonth(since), Until: intMonth(until), Resume: intMonth(resume),
			Last: intDay(last), Certified: intDay(cert)})
	}
	return out, rows.Err()
}

// listRows runs a list's query and reads each row with scan into one
// reused Row handed to fn. Lists are long (80,000 rows at a million
// retirees), so each query selects only the columns its list prints, with
// the phone and address a counter checked (retiree_contact) preferred over
// the roster's in SQL, and rows are streamed, never held together.
func (s *Store) listRows(ctx context.Context, q string, args []any, scan func(*sql.Rows, *central.Row) error, fn func(*central.Row) error) error {
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r central.Row
	for rows.Next() {
		r = central.Row{}
		if err := scan(rows, &r); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// limitClause orders a list and, for limit > 0, cuts it.
func limitClause(order string, limit int) (string, []any) {
	if limit <= 0 {
		return " ORDER BY " + order, nil
	}
	return " ORDER BY " + order + " LIMIT ?", []any{limit}
}

// checkedPhone prefers what a counter checked with the retiree.
const checkedPhone = `coalesce(nullif(c.phone, ''), p.phone)`

// The lists' queries (suspensionsSQL needs m three times, resumptionsSQL
// once, dueSQL the first and last day).
const (
	suspensionsSQL = `SELECT p.retiree_id, p.name, ` + checkedPhone + `, p.last_day, p.susp_month, 0
		FROM pension_state p LEFT JOIN retiree_contact c ON c.retiree_id = p.retiree_id WHERE p.susp_month <= ?
		UNION ALL
		SELECT p.retiree_id, p.name, ` + checkedPhone + `, p.last_day, p.since_month, p.certified_day
		FROM pension_episode p LEFT JOIN retiree_contact c ON c.retiree_id = p.retiree_id
		WHERE p.until_month >= ? AND p.since_month <= ?`
	resumptionsSQL = `SELECT p.retiree_id, p.name, ` + checkedPhone + `, p.last_day, p.since_month, p.certified_day, p.resume_month
		FROM pension_episode p LEFT JOIN retiree_contact c ON c.retiree_id = p.retiree_id WHERE p.resume_month = ?`
	dueSQL = `SELECT p.retiree_id, p.name, ` + checkedPhone + `, coalesce(nullif(c.address, ''), p.address), p.due_day,
		coalesce(c.relative_name, ''), coalesce(c.relation, ''), coalesce(c.relative_mobile, '')
		FROM pension_state p LEFT JOIN retiree_contact c ON c.retiree_id = p.retiree_id WHERE p.due_day >= ? AND p.due_day <= ?`
)

// Suspensions implements central.ConsoleStorage: retirees whose payment is
// suspended in m — still lapsed (their latest certification's suspension
// month is m or earlier), or lapsed then and certified in m or later (a
// suspension episode covering m). By identity number.
func (s *Store) Suspensions(ctx context.Context, m certkiosk.Month, limit int, fn func(*central.Row) error) error {
	mi := monthInt(m)
	tail, more := limitClause("1", limit)
	err := s.listRows(ctx, suspensionsSQL+tail, append([]any{mi, mi, mi}, more...), func(rows *sql.Rows, r *central.Row) error {
		var last, since, cert int
		if err := rows.Scan(&r.ID, &r.Name, &r.Phone, &last, &since, &cert); err != nil {
			return err
		}
		r.Last, r.Since, r.Certified = intDay(last), intMonth(since), intDay(cert)
		r.Due = certkiosk.DueDate(r.Last)
		return nil
	}, fn)
	if err != nil {
		return fmt.Errorf("suspensions %s: %w", m, err)
	}
	return nil
}

// Resumptions implements central.ConsoleStorage: suspensions that end so payment
// resumes in m. By identity number.
func (s *Store) Resumptions(ctx context.Context, m certkiosk.Month, limit int, fn func(*central.Row) error) error {
	tail, more := limitClause("1", limit)
	err := s.listRows(ctx, resumptionsSQL+tail, append([]any{monthInt(m)}, more...), func(rows *sql.Rows, r *central.Row) error {
		var last, since, cert, resume int
		if err := rows.Scan(&r.ID, &r.Name, &r.Phone, &last, &since, &cert, &resume); err != nil {
			return err
		}
		r.Last, r.Since, r.Certified, r.Resume = intDay(last), intMonth(since), intDay(cert), intMonth(resume)
		r.Due = certkiosk.DueDate(r.Last)
		return nil
	}, fn)
	if err != nil {
		return fmt.Errorf("resumptions %s: %w", m, err)
	}
	return nil
}

// Due implements central.ConsoleStorage: retirees whose due date is from…to, the
// soonest first.
func (s *Store) Due(ctx context.Context, from, to certkiosk.Date, limit int, fn func(*central.Row) error) error {
	tail, more := limitClause("5, 1", limit)
	err := s.listRows(ctx, dueSQL+tail, append([]any{dayInt(from), dayInt(to)}, more...), func(rows *sql.Rows, r *central.Row) error {
		var due int
		if err := rows.Scan(&r.ID, &r.Name, &r.Phone, &r.Address, &due, &r.Relative.Name, &r.Relative.Relation,
			&r.Relative.Mobile); err != nil {
			return err
		}
		r.Due, r.Relative.Consent = intDay(due), r.Relative.Mobile != ""
		return nil
	}, fn)
	if err != nil {
		return fmt.Errorf("due %s…%s: %w", from, to, err)
	}
	return nil
}

// ListCounts implements central.ConsoleStorage: how many rows each list has.
func (s *Store) ListCounts(ctx context.Context, m certkiosk.Month, from, to certkiosk.Date) (susp, res, due int, err error) {
	mi := monthInt(m)
	err = s.row(ctx, s.db, `SELECT
		(SELECT count(*) FROM pension_state WHERE susp_month <= ?) +
		(SELECT count(*) FROM pension_episode WHERE until_month >= ? AND since_month <= ?),
		(SELECT count(*) FROM pension_episode WHERE resume_month = ?),
		(SELECT count(*) FROM pension_state WHERE due_day >= ? AND due_day <= ?)`,
		mi, mi, mi, mi, dayInt(from), dayInt(to)).Scan(&susp, &res, &due)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("list counts %s: %w", m, err)
	}
	return susp, res, due, nil
}

// Terminals implements central.ConsoleStorage.
func (s *Store) Terminals(ctx context.Context) ([]central.TerminalInfo, error) {
	rows, err := s.query(ctx, s.db, `SELECT t.id, t.name, t.enrolled_at IS NOT NULL, t.revoked,
		(SELECT max(r.received_at) FROM record r WHERE r.terminal = t.id), p.at,
		coalesce(p.version, ''), coalesce(p.pending, -1)
		FROM terminal t LEFT JOIN terminal_report p ON p.terminal = t.id ORDER BY t.id`)
	if err != nil {
		return nil, fmt.Errorf("terminals: %w", err)
	}
	defer rows.Close()
	var out []central.TerminalInfo
	for rows.Next() {
		var t central.TerminalInfo
		var reported time.Time
		if err := rows.Scan(&t.ID, &t.Name, &t.Enrolled, &t.Revoked, scanTime{&t.LastSeen}, scanTime{&reported},
			&t.Version, &t.Pending); err != nil {
			return nil, fmt.Errorf("terminals: %w", err)
		}
		// Last seen: its last batch, or a later roster download.
		if reported.After(t.LastSeen) {
			t.LastSeen = reported
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// EnableTerminal implements central.ConsoleStorage: a revoked terminal may enroll
// again with the one-time token tokenHash, and a new key: the key it had
// when it was revoked (it may have leaked) is never taken again.
func (s *Store) EnableTerminal(ctx context.Context, id, tokenHash string, expires time.Time) error {
	n, err := s.execN(ctx, s.db, `UPDATE terminal SET revoked = FALSE, revoked_key = coalesce(public_key, revoked_key),
		public_key = NULL, token_hash = ?, token_expires = ? WHERE id = ? AND revoked`, tokenHash, s.ts(expires), id)
	if err != nil {
		return fmt.Errorf("enable terminal %s: %w", id, err)
	}
	if n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// SetConsoleUserDisabled implements central.ConsoleStorage.
func (s *Store) SetConsoleUserDisabled(ctx context.Context, id string, disabled bool) error {
	n, err := s.execN(ctx, s.db, `UPDATE console_user SET disabled = ? WHERE id = ?`, disabled, id)
	if err != nil {
		return fmt.Errorf("console user %s: %w", id, err)
	}
	if n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// SetConsolePIN implements central.ConsoleStorage.
func (s *Store) SetConsolePIN(ctx context.Context, id, pinHash string, now time.Time) error {
	n, err := s.execN(ctx, s.db, `UPDATE console_user SET pin_hash = ?, pin_changed_at = ?, failed = 0, locked_until = NULL WHERE id = ?`,
		pinHash, s.ts(now), id)
	if err != nil {
		return fmt.Errorf("console user %s: %w", id, err)
	}
	if n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// ReportTerminal keeps what a terminal said about itself.
func (s *Store) ReportTerminal(ctx context.Context, terminal, version string, pending int, at time.Time) error {
	_, err := s.exec(ctx, s.db, `INSERT INTO terminal_report (terminal, version, pending, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (terminal) DO UPDATE SET version = excluded.version, pending = excluded.pending, at = excluded.at`,
		terminal, version, pending, s.ts(at))
	if err != nil {
		return fmt.Errorf("terminal report of %s: %w", terminal, err)
	}
	return nil
}

// Daily implements central.ConsoleStorage: records that ended on the China days
// of from…to (to excluded), by day, terminal and verdict, as counted when
// they were folded in (RefreshPension).
func (s *Store) Daily(ctx context.Context, from, to time.Time) ([]central.DayCount, error) {
	rows, err := s.query(ctx, s.db, `SELECT day, terminal, verdict, n FROM daily_count WHERE day >= ? AND day <= ?`,
		dayInt(central.DayOf(from)), dayInt(central.DayOf(to.Add(-time.Nanosecond))))
	if err != nil {
		return nil, fmt.Errorf("daily counts: %w", err)
	}
	defer rows.Close()
	type key struct {
		day      int
		terminal string
	}
	counts := map[key]*central.DayCount{}
	for rows.Next() {
		var k key
		var verdict string
		var n int
		if err := rows.Scan(&k.day, &k.terminal, &verdict, &n); err != nil {
			return nil, fmt.Errorf("daily counts: %w", err)
		}
		c := counts[k]
		if c == nil {
			c = &central.DayCount{Day: intDay(k.day), Terminal: k.terminal}
			counts[k] = c
		}
		switch certkiosk.Verdict(verdict) {
		case certkiosk.VerdictPass:
			c.Pass += n
		case certkiosk.VerdictFail:
			c.Fail += n
		default:
			c.Manual += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("daily counts: %w", err)
	}
	out := make([]central.DayCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day.Before(out[j].Day)
		}
		return out[i].Terminal < out[j].Terminal
	})
	return out, nil
}

// PensionCounts implements central.ConsoleStorage. Overdue retirees are those whose
// due date lies in today's month before today: a due date in an earlier
// month means the suspension month has begun.
func (s *Store) PensionCounts(ctx context.Context, today certkiosk.Date) (central.Counts, error) {
	var c central.Counts
	m := certkiosk.MonthOf(today)
	err := s.row(ctx, s.db, `SELECT
		(SELECT value FROM counter WHERE name = 'pension_retirees'),
		(SELECT count(*) FROM pension_state WHERE due_day >= ? AND due_day <= ?),
		(SELECT count(*) FROM pension_state WHERE due_day >= ? AND due_day < ?),
		(SELECT count(*) FROM pension_state WHERE susp_month <= ?),
		(SELECT count(*) FROM review_case WHERE is_open)`,
		dayInt(today), dayInt(central.AddDays(today, certkiosk.DueSoonDays)),
		dayInt(m.First()), dayInt(today), monthInt(m)).Scan(&c.Retirees, &c.DueSoon, &c.Overdue, &c.Suspended, &c.OpenCases)
	if err != nil {
		return c, fmt.Errorf("pension counts: %w", err)
	}
	return c, nil
}
