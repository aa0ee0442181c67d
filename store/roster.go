package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"certkiosk"
)

// PutRetirees inserts or updates retirees, all in one transaction: either
// every row is stored or none is.
func (s *DB) PutRetirees(ctx context.Context, rs []certkiosk.Retiree, synthetic bool) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO retiree (id, name, female, birth, category, last_cert, synthetic)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, female = excluded.female,
			birth = excluded.birth, category = excluded.category, last_cert = excluded.last_cert,
			synthetic = excluded.synthetic`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rs {
			if _, err := st.ExecContext(ctx, string(r.ID), r.Name, r.Female, r.Birth.String(),
				r.Category, nullDate(r.LastCert), synthetic); err != nil {
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

// FindRetiree looks a retiree up by identity number.
func (s *DB) FindRetiree(ctx context.Context, id certkiosk.ResidentID) (certkiosk.Retiree, error) {
	var r certkiosk.Retiree
	var birth string
	var last sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT id, name, female, birth, category, last_cert FROM retiree WHERE id = ?`,
		string(id)).Scan(&r.ID, &r.Name, &r.Female, &birth, &r.Category, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return r, certkiosk.Errorf(certkiosk.ENOTFOUND, "名册中没有这个身份证号", "retiree %s not on the roster", id.Masked())
	}
	if err != nil {
		return r, fmt.Errorf("find retiree %s: %w", id.Masked(), err)
	}
	if r.Birth, err = certkiosk.ParseDate(birth); err != nil {
		return r, fmt.Errorf("find retiree %s: %w", id.Masked(), err)
	}
	if last.Valid {
		if r.LastCert, err = certkiosk.ParseDate(last.String); err != nil {
			return r, fmt.Errorf("find retiree %s: %w", id.Masked(), err)
		}
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
