package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/sync"
)

// Rows per multi-row statement: a full chunk always has the same text, so
// its prepared statement is reused, and its parameters stay far below
// SQLite's (32,766) and PostgreSQL's (65,535) limits even for an offline
// bundle's 15,000 records.
const (
	chunkRecords  = 100 // 12 parameters each
	chunkEvidence = 100 // 4 parameters each
	chunkLookup   = 500 // IDs or receipts in one IN list
)

// Ingest implements central.Storage: one transaction per batch. A
// terminal's records are ingested one delivery at a time (the dialect's
// lock, or the write lock), so two copies of a record delivered at once are
// stored once and counted once as a duplicate.
//
// The batch is judged as if its records were stored one after the other
// (a record sees the records before it in the batch), but with a few
// statements per batch rather than several per record: one lookup of the
// IDs already stored, one of the receipt codes already used, multi-row
// inserts of the new records and their evidence (or the dialect's bulk
// copy). On PostgreSQL each statement is a round trip; per record they
// were most of the time a batch took.
func (s *Store) Ingest(ctx context.Context, terminal string, recs []sync.Record, now time.Time) ([]sync.RecordResult, error) {
	out := make([]sync.RecordResult, len(recs))
	err := s.inConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		if err := s.lock(ctx, tx, terminal); err != nil {
			return err
		}
		if err := s.ingest(ctx, conn, tx, terminal, recs, now, out); err != nil {
			return err
		}
		dups := 0
		for _, r := range out {
			if r.Status == sync.StatusDuplicate {
				dups++
			}
		}
		if _, err := s.exec(ctx, tx, `UPDATE counter SET value = value + ? WHERE name = 'duplicates'`, dups); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `UPDATE counter SET value = value + 1 WHERE name = 'batches'`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return out, nil
}

// inConnTx runs fn in a transaction on a connection of its own, which fn
// may also use directly (the dialect's bulk copy) within the transaction.
func (s *Store) inConnTx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(conn, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ingest judges and stores recs inside tx (on conn), filling out.
func (s *Store) ingest(ctx context.Context, conn *sql.Conn, tx *sql.Tx, terminal string, recs []sync.Record, now time.Time, out []sync.RecordResult) error {
	hashes := make([]string, len(recs))
	var term central.Terminal
	if err := s.row(ctx, tx, `SELECT added_at, enrolled_at FROM terminal WHERE id = ?`, terminal).
		Scan(scanTime{&term.Added}, scanTime{&term.Enrolled}); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("terminal: %w", err)
	}
	late := map[string]bool{}
	var ids, receipts []string
	for i := range recs {
		r := &recs[i]
		out[i] = sync.RecordResult{ID: r.ID}
		if err := central.ValidateRecord(terminal, *r); err != nil {
			out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
			continue
		}
		old, err := central.CheckRecordTime(*r, term, now)
		if err != nil {
			out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
			continue
		}
		if old {
			late[r.ID] = true
		}
		hashes[i] = r.ContentHash()
		ids, receipts = append(ids, r.ID), append(receipts, r.Receipt)
	}
	if len(ids) == 0 {
		return nil
	}
	stored, err := s.lookup(ctx, tx, `SELECT id, content_hash FROM record WHERE id IN (%s)`, nil, ids)
	if err != nil {
		return fmt.Errorf("stored records: %w", err)
	}
	// A terminal's receipt codes are unique: receipt → the ID that has it.
	used, err := s.lookup(ctx, tx, `SELECT receipt, id FROM record WHERE terminal = ? AND receipt IN (%s)`, []any{terminal}, receipts)
	if err != nil {
		return fmt.Errorf("used receipts: %w", err)
	}
	var fresh []int
	for i := range recs {
		r := &recs[i]
		if out[i].Status != "" {
			continue
		}
		if have, ok := stored[r.ID]; ok {
			st, msg, err := s.existing(ctx, tx, terminal, *r, hashes[i], have, now)
			if err != nil {
				return fmt.Errorf("record %s: %w", r.ID, err)
			}
			out[i].Status, out[i].Error = st, msg
			continue
		}
		if id, ok := used[r.Receipt]; ok && id != r.ID {
			out[i].Status, out[i].Error = sync.StatusInvalid, "receipt code already used by another record of this terminal"
			continue
		}
		stored[r.ID], used[r.Receipt] = hashes[i], r.ID // later records of the batch see it
		fresh = append(fresh, i)
	}
	inserted, err := s.insertRecords(ctx, tx, terminal, recs, hashes, fresh, late, now)
	if err != nil {
		return err
	}
	var evidence []evidenceRow
	for _, i := range fresh {
		r := &recs[i]
		if !inserted[r.ID] { // stored meanwhile by another terminal's delivery
			var have string
			if err := s.row(ctx, tx, `SELECT content_hash FROM record WHERE id = ?`, r.ID).Scan(&have); err != nil {
				return fmt.Errorf("record %s: %w", r.ID, err)
			}
			st, msg, err := s.existing(ctx, tx, terminal, *r, hashes[i], have, now)
			if err != nil {
				return fmt.Errorf("record %s: %w", r.ID, err)
			}
			out[i].Status, out[i].Error = st, msg
			continue
		}
		out[i].Status = sync.StatusAccepted
		for _, e := range r.Evidence {
			evidence = append(evidence, evidenceRow{r.ID, e.Kind, e.SHA256, e.Ciphertext})
		}
	}
	if err := s.insertEvidence(ctx, conn, tx, evidence); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}

// lookup runs query (whose %s is an IN list) for keys, in chunks, and maps
// each row's first column to its second.
func (s *Store) lookup(ctx context.Context, tx *sql.Tx, query string, args []any, keys []string) (map[string]string, error) {
	m := make(map[string]string, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), chunkLookup)
		a := append(append(make([]any, 0, len(args)+n), args...), anys(keys[:n])...)
		rows, err := s.query(ctx, tx, fmt.Sprintf(query, marks(n, 1)), a...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k, v string
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, err
			}
			m[k] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		keys = keys[n:]
	}
	return m, nil
}

// insertRecords inserts the records recs[i] for i in idx, skipping IDs
// stored meanwhile, and returns the IDs it inserted.
// Records in late are held for review (central.CheckRecordTime).
func (s *Store) insertRecords(ctx context.Context, tx *sql.Tx, terminal string, recs []sync.Record, hashes []string, idx []int, late map[string]bool, now time.Time) (map[string]bool, error) {
	inserted := make(map[string]bool, len(idx))
	received := s.ts(now)
	for len(idx) > 0 {
		n := min(len(idx), chunkRecords)
		args := make([]any, 0, 12*n)
		for _, i := range idx[:n] {
			r := &recs[i]
			args = append(args, r.ID, terminal, hashes[i], string(central.Body(*r)), r.Receipt, r.Verdict,
				certkiosk.Mask(r.RetireeID), s.ts(r.Ended), r.Synthetic, received, r.FrameSource, central.NeedsReview(*r) || late[r.ID])
		}
		rows, err := s.query(ctx, tx, `INSERT INTO record (id, terminal, content_hash, body, receipt, verdict, retiree_masked,
			ended_at, synthetic, received_at, frame_source, review) VALUES `+marks(n, 12)+`
			ON CONFLICT (id) DO NOTHING RETURNING id`, args...)
		if err != nil {
			return nil, fmt.Errorf("insert records: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insert records: %w", err)
			}
			inserted[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insert records: %w", err)
		}
		idx = idx[n:]
	}
	return inserted, nil
}

// evidenceRow is one evidence object to store; ciphertext is the age file
// as it arrived (it shares the request body's memory: no copy is made).
type evidenceRow struct {
	recordID, kind, sha256 string
	ciphertext             []byte
}

// insertEvidence stores evidence rows, in one stream by the dialect's bulk
// copy when it has one, else by multi-row inserts.
func (s *Store) insertEvidence(ctx context.Context, conn *sql.Conn, tx *sql.Tx, rows []evidenceRow) error {
	if len(rows) > 0 && s.d.CopyFrom != nil {
		vals := make([][]any, len(rows))
		for i, e := range rows {
			vals[i] = []any{e.recordID, e.kind, e.sha256, e.ciphertext}
		}
		return s.d.CopyFrom(ctx, conn, "evidence", []string{"record_id", "kind", "sha256", "ciphertext"}, vals)
	}
	for len(rows) > 0 {
		n := min(len(rows), chunkEvidence)
		args := make([]any, 0, 4*n)
		for _, e := range rows[:n] {
			args = append(args, e.recordID, e.kind, e.sha256, e.ciphertext)
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO evidence (record_id, kind, sha256, ciphertext) VALUES `+marks(n, 4), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// existing judges a record whose ID is already stored with hash have: the
// same content is a duplicate, other content a conflict kept for review.
func (s *Store) existing(ctx context.Context, tx *sql.Tx, terminal string, r sync.Record, hash, have string, now time.Time) (string, string, error) {
	if have == hash {
		return sync.StatusDuplicate, "", nil
	}
	_, err := s.exec(ctx, tx, `INSERT INTO conflict (record_id, terminal, content_hash, body, at) VALUES (?, ?, ?, ?, ?)`,
		r.ID, terminal, hash, string(central.Body(r)), s.ts(now))
	return sync.StatusConflict, "a different record has this ID", err
}

// marks writes n groups of k placeholders: "(?, ?), (?, ?)" for n 2, k 2;
// with k 1, a plain list "?, ?".
func marks(n, k int) string {
	group := "(" + strings.Repeat("?, ", k-1) + "?)"
	if k == 1 {
		group = "?"
	}
	var b strings.Builder
	b.Grow(n * (len(group) + 2))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(group)
	}
	return b.String()
}

func anys(ss []string) []any {
	a := make([]any, len(ss))
	for i, s := range ss {
		a[i] = s
	}
	return a
}
