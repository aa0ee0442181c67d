package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"certkiosk"
)

// PutRetirees inserts or updates retirees, all in one transaction: either
// every row is stored or none is.
func (s *DB) PutRetirees(ctx context.Context, rs []certkiosk.Retiree, synthetic bool) error {
	err := s.inBulkTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO retiree (id, name, female, birth, category, last_cert, phone, address, synthetic, roster_last_cert)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, female = excluded.female,
			birth = excluded.birth, category = excluded.category, last_cert = excluded.last_cert,
			roster_last_cert = excluded.roster_last_cert,
			phone = excluded.phone, address = excluded.address, synthetic = excluded.synthetic`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rs {
			if _, err := st.ExecContext(ctx, string(r.ID), r.Name, r.Female, r.Birth.String(),
				r.Category, nullDate(r.LastCert), r.Phone, r.Address, synthetic); err != nil {
				return fmt.Errorf("retiree %s: %w", r.ID.Masked(), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store retirees: %w", err)
	}
	return nil
}

// FindRetiree looks a retiree up by identity number (not audited: for
// internal use; staff lookups go through LookupRetiree).
func (s *DB) FindRetiree(ctx context.Context, id certkiosk.ResidentID) (certkiosk.Retiree, error) {
	r, err := scanRetiree(s.db.QueryRowContext(ctx, `SELECT `+retireeCols+` FROM retiree WHERE id = ?`, string(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, certkiosk.E(certkiosk.ENOTFOUND, "error.store.not_on_roster", "retiree %s not on the roster", id.Masked())
	}
	if err != nil {
		return r, fmt.Errorf("find retiree %s: %w", id.Masked(), err)
	}
	return r, nil
}

// CountRetirees returns how many retirees are on the roster.
func (s *DB) CountRetirees(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM retiree`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count retirees: %w", err)
	}
	return n, nil
}

func nullDate(d certkiosk.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// LookupRetiree finds a retiree for a staff member and logs the lookup
// (masked), found or not.
func (s *DB) LookupRetiree(ctx context.Context, actor string, id certkiosk.ResidentID) (certkiosk.Retiree, error) {
	r, err := s.FindRetiree(ctx, id)
	found := err == nil
	if err != nil && certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
		return r, err
	}
	if aerr := s.Audit(ctx, actor, ActLookup, id.Masked(), map[string]any{"found": found}); aerr != nil {
		return r, aerr
	}
	return r, err
}

// DueEntry is a retiree on the due list.
type DueEntry = certkiosk.DueEntry

// DueList returns up to limit retirees who are overdue, due within
// DueSoonDays, or never certified, on today: overdue first (longest
// overdue first), then due soon, then never certified.
func (s *DB) DueList(ctx context.Context, today certkiosk.Date, limit int) ([]DueEntry, error) {
	firstNotSoon := firstLastCertDueOnOrAfter(dayAfter(today, certkiosk.DueSoonDays+1))
	rows, err := s.db.QueryContext(ctx, `SELECT `+retireeCols+` FROM retiree
		WHERE last_cert IS NULL OR last_cert < ? ORDER BY last_cert IS NULL, last_cert, id LIMIT ?`,
		firstNotSoon.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("due list: %w", err)
	}
	defer rows.Close()
	var out []DueEntry
	for rows.Next() {
		r, err := scanRetiree(rows)
		if err != nil {
			return nil, fmt.Errorf("due list: %w", err)
		}
		e := DueEntry{Retiree: r, Status: certkiosk.CycleStatus(r.LastCert, today)}
		if !r.LastCert.IsZero() {
			e.Due = certkiosk.DueDate(r.LastCert)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DueCounts counts overdue, due-soon and never-certified retirees on today.
func (s *DB) DueCounts(ctx context.Context, today certkiosk.Date) (overdue, dueSoon, never int, err error) {
	// overdue ⇔ today > last + 12 months ⇔ last < the first day whose due
	// date is today or later; computed exactly from AddMonths' clamping.
	firstInTime := firstLastCertDueOnOrAfter(today)
	firstNotSoon := firstLastCertDueOnOrAfter(dayAfter(today, certkiosk.DueSoonDays+1))
	err = s.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(last_cert < ?), 0),
		coalesce(sum(last_cert >= ? AND last_cert < ?), 0),
		coalesce(sum(last_cert IS NULL), 0) FROM retiree`,
		firstInTime.String(), firstInTime.String(), firstNotSoon.String()).Scan(&overdue, &dueSoon, &never)
	if err != nil {
		err = fmt.Errorf("due counts: %w", err)
	}
	return
}

// firstLastCertDueOnOrAfter returns the earliest certification date whose
// due date is d or later. Due dates never decrease with the certification
// date, so a short search from a year before d finds it.
func firstLastCertDueOnOrAfter(d certkiosk.Date) certkiosk.Date {
	c := dayAfter(d.AddMonths(-certkiosk.CycleMonths), -4)
	for certkiosk.DueDate(c).Before(d) {
		c = dayAfter(c, 1)
	}
	return c
}

func dayAfter(d certkiosk.Date, n int) certkiosk.Date {
	return certkiosk.DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n))
}

type scanner interface{ Scan(...any) error }

// retireeCols are the columns scanRetiree reads, in order.
const retireeCols = `id, name, female, birth, category, last_cert, phone, address, pension_status, suspended_since, contact_checked`

func scanRetiree(sc scanner) (certkiosk.Retiree, error) {
	var r certkiosk.Retiree
	var birth, since string
	var last, checked sql.NullString
	if err := sc.Scan(&r.ID, &r.Name, &r.Female, &birth, &r.Category, &last, &r.Phone, &r.Address,
		&r.Pension, &since, &checked); err != nil {
		return r, err
	}
	var err error
	if since != "" {
		if r.SuspendedSince, err = certkiosk.ParseMonth(since); err != nil {
			return r, err
		}
	}
	if checked.Valid {
		if r.ContactChecked, err = certkiosk.ParseDate(checked.String); err != nil {
			return r, err
		}
	}
	if r.Birth, err = certkiosk.ParseDate(birth); err != nil {
		return r, err
	}
	if last.Valid {
		if r.LastCert, err = certkiosk.ParseDate(last.String); err != nil {
			return r, err
		}
	}
	return r, nil
}

// ListRetireeIDs returns up to limit identity numbers in key order.
func (s *DB) ListRetireeIDs(ctx context.Context, limit int) ([]certkiosk.ResidentID, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM retiree ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list retirees: %w", err)
	}
	defer rows.Close()
	var out []certkiosk.ResidentID
	for rows.Next() {
		var id certkiosk.ResidentID
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list retirees: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
