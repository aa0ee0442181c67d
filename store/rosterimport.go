package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"certkiosk"
	"certkiosk/roster"
)

// The roster file format and its rules are package roster's; these names
// stay for the store's callers.
type (
	ImportError = roster.Error
	LineError   = roster.LineError
)

// Encodings of a roster file.
const (
	EncodingAuto = roster.EncodingAuto
	EncodingUTF8 = roster.EncodingUTF8
	EncodingGBK  = roster.EncodingGBK
)

// ParseRoster reads and validates a roster file completely (roster.Parse).
func ParseRoster(data []byte, encoding string) ([]certkiosk.Retiree, string, error) {
	return roster.Parse(data, encoding)
}

// ImportResult counts what an accepted import did.
type ImportResult struct {
	Encoding  string // the encoding used
	Rows      int    // data rows in the file
	Added     int
	Updated   int
	Unchanged int
}

// ImportRoster validates a roster file and, only if every line is good,
// stores it in one transaction. Importing the same file again changes
// nothing. The import is audited with its counts.
func (s *DB) ImportRoster(ctx context.Context, actor string, data []byte, encoding string) (ImportResult, error) {
	rows, enc, err := roster.ParseRows(data, encoding)
	res := ImportResult{Encoding: enc, Rows: len(rows)}
	if err != nil {
		return res, err
	}
	// Insert in key order: B-tree pages fill one after another instead of
	// splitting all over the file (several times faster at a million rows).
	sort.Slice(rows, func(i, j int) bool { return rows[i].Retiree.ID < rows[j].Retiree.ID })
	err = s.inBulkTx(ctx, func(tx *sql.Tx) error {
		// An upsert that skips identical rows, so re-importing writes nothing;
		// changes() tells an insert from an update from a no-op.
		st, err := tx.PrepareContext(ctx, `INSERT INTO retiree (id, name, female, birth, category, last_cert, phone, address, roster_last_cert)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?6)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, female = excluded.female, birth = excluded.birth,
				category = excluded.category, last_cert = excluded.last_cert, phone = excluded.phone,
				address = excluded.address, synthetic = 0, roster_last_cert = excluded.roster_last_cert
			WHERE (name, female, birth, category, last_cert, phone, address, synthetic, roster_last_cert) IS NOT
				(excluded.name, excluded.female, excluded.birth, excluded.category, excluded.last_cert,
				 excluded.phone, excluded.address, 0, excluded.roster_last_cert)`)
		if err != nil {
			return err
		}
		defer st.Close()
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM retiree`).Scan(&before); err != nil {
			return err
		}
		changed := 0
		for _, p := range rows {
			r := p.Retiree
			out, err := st.ExecContext(ctx, string(r.ID), r.Name, r.Female, r.Birth.String(), r.Category,
				nullDate(r.LastCert), r.Phone, r.Address)
			if err != nil {
				return fmt.Errorf("line %d: %w", p.Line, err)
			}
			n, _ := out.RowsAffected()
			changed += int(n)
		}
		var after int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM retiree`).Scan(&after); err != nil {
			return err
		}
		res.Added = after - before
		res.Updated = changed - res.Added
		res.Unchanged = len(rows) - changed
		return s.audit(ctx, tx, actor, ActRosterImport, "", map[string]any{"rows": len(rows), "added": res.Added,
			"updated": res.Updated, "unchanged": res.Unchanged, "encoding": enc})
	})
	if err != nil {
		return ImportResult{Encoding: enc, Rows: len(rows)}, fmt.Errorf("import roster: %w", err)
	}
	return res, nil
}
