// Package sqlitestore keeps the central service's state in one SQLite file:
// the embedded default for a single district.
package sqlitestore

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"certkiosk"
	"certkiosk/sync"
	"certkiosk/sync/central"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3"
)

const schema = `
CREATE TABLE IF NOT EXISTS terminal (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BLOB,
    token_hash TEXT UNIQUE, token_expires TEXT, revoked INTEGER NOT NULL DEFAULT 0, enrolled_at TEXT);
CREATE TABLE IF NOT EXISTS nonce (
    terminal TEXT NOT NULL, nonce TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (terminal, nonce));
CREATE INDEX IF NOT EXISTS nonce_at ON nonce (at);
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY, terminal TEXT NOT NULL, content_hash TEXT NOT NULL, body TEXT NOT NULL,
    receipt TEXT NOT NULL, verdict TEXT NOT NULL, retiree_masked TEXT NOT NULL, ended_at TEXT NOT NULL,
    synthetic INTEGER NOT NULL, received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS record_receipt ON record (receipt);
CREATE TABLE IF NOT EXISTS evidence (
    record_id TEXT NOT NULL REFERENCES record (id), kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    ciphertext BLOB NOT NULL, PRIMARY KEY (record_id, kind));
CREATE TABLE IF NOT EXISTS conflict (
    seq INTEGER PRIMARY KEY, record_id TEXT NOT NULL, terminal TEXT NOT NULL, content_hash TEXT NOT NULL,
    body TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS roster (
    id TEXT PRIMARY KEY, entry TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS roster_version ON roster (version);
CREATE TABLE IF NOT EXISTS audit_head (
    terminal TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_alarm (
    seq INTEGER PRIMARY KEY, terminal TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL);
`

// columns added after the first release, added to older files on open.
var columns = []struct{ table, name, decl string }{
	{"record", "frame_source", "TEXT NOT NULL DEFAULT ''"},
	{"record", "review", "INTEGER NOT NULL DEFAULT 0"},
}

const indexes = `CREATE INDEX IF NOT EXISTS record_terminal_receipt ON record (terminal, receipt);`

func addColumns(ctx context.Context, db *sql.DB) error {
	for _, c := range columns {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := db.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.name+` `+c.decl); err != nil {
				return err
			}
		}
	}
	_, err := db.ExecContext(ctx, indexes)
	return err
}

// Store is the SQLite storage.
type Store struct{ db *sql.DB }

// Open opens or creates the database file at path (directory 0700, file 0600).
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("central store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("central store: %w", err)
	}
	f.Close()
	v := url.Values{}
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "on")
	v.Set("_busy_timeout", "10000")
	v.Set("_txlock", "immediate")
	v.Set("_synchronous", "FULL") // an accepted record survives a power cut
	db, err := sql.Open("sqlite3", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("central store %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("central store %s: schema: %w", path, err)
	}
	if err := addColumns(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("central store %s: schema upgrade: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// AddTerminal implements central.Storage.
func (s *Store) AddTerminal(ctx context.Context, id, name, tokenHash string, expires time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var enrolled sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT enrolled_at FROM terminal WHERE id = ?`, id).Scan(&enrolled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO terminal (id, name, token_hash, token_expires) VALUES (?, ?, ?, ?)`,
				id, name, tokenHash, ts(expires))
			return err
		case err != nil:
			return err
		case enrolled.Valid:
			return fmt.Errorf("terminal %s: %w (enrolled)", id, central.ErrExists)
		}
		_, err = tx.ExecContext(ctx, `UPDATE terminal SET name = ?, token_hash = ?, token_expires = ? WHERE id = ?`,
			name, tokenHash, ts(expires), id)
		return err
	})
}

// Enroll implements central.Storage.
func (s *Store) Enroll(ctx context.Context, tokenHash string, pub ed25519.PublicKey, now time.Time) (central.Terminal, error) {
	var t central.Terminal
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var expires string
		err := tx.QueryRowContext(ctx, `SELECT id, name, token_expires FROM terminal WHERE token_hash = ? AND revoked = 0`,
			tokenHash).Scan(&t.ID, &t.Name, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return central.ErrBadToken
		}
		if err != nil {
			return err
		}
		if exp, _ := time.Parse(time.RFC3339Nano, expires); now.After(exp) {
			return central.ErrBadToken
		}
		t.PublicKey = pub
		_, err = tx.ExecContext(ctx, `UPDATE terminal SET public_key = ?, enrolled_at = ?, token_hash = NULL WHERE id = ?`,
			[]byte(pub), ts(now), t.ID)
		return err
	})
	return t, err
}

// ReenrollToken implements central.Storage.
func (s *Store) ReenrollToken(ctx context.Context, id, tokenHash string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE terminal SET token_hash = ?, token_expires = ?
		WHERE id = ? AND enrolled_at IS NOT NULL AND revoked = 0`, tokenHash, ts(expires), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// Terminal implements central.Storage.
func (s *Store) Terminal(ctx context.Context, id string) (central.Terminal, error) {
	var t central.Terminal
	var pub []byte
	err := s.db.QueryRowContext(ctx, `SELECT id, name, public_key, revoked FROM terminal WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &pub, &t.Revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, central.ErrNotFound
	}
	t.PublicKey = pub
	return t, err
}

// RevokeTerminal implements central.Storage.
func (s *Store) RevokeTerminal(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE terminal SET revoked = 1, token_hash = NULL WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// UseNonce implements central.Storage.
func (s *Store) UseNonce(ctx context.Context, terminal, nonce string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM nonce WHERE at < ?`, ts(at.Add(-3*sync.MaxSkew))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO nonce (terminal, nonce, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			terminal, nonce, ts(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return central.ErrNonceReuse
		}
		return nil
	})
}

// Ingest implements central.Storage: one transaction per batch.
func (s *Store) Ingest(ctx context.Context, terminal string, recs []sync.Record, now time.Time) ([]sync.RecordResult, error) {
	out := make([]sync.RecordResult, len(recs))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		dups := 0
		for i, r := range recs {
			out[i] = sync.RecordResult{ID: r.ID}
			if err := central.ValidateRecord(terminal, r); err != nil {
				out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
				continue
			}
			hash := r.ContentHash()
			var have string
			err := tx.QueryRowContext(ctx, `SELECT content_hash FROM record WHERE id = ?`, r.ID).Scan(&have)
			switch {
			case err == nil && have == hash:
				out[i].Status = sync.StatusDuplicate
				dups++
				continue
			case err == nil:
				out[i].Status, out[i].Error = sync.StatusConflict, "a different record has this ID"
				if _, err := tx.ExecContext(ctx, `INSERT INTO conflict (record_id, terminal, content_hash, body, at) VALUES (?, ?, ?, ?, ?)`,
					r.ID, terminal, hash, string(central.Body(r)), ts(now)); err != nil {
					return err
				}
				continue
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM record WHERE terminal = ? AND receipt = ?`,
				terminal, r.Receipt).Scan(&taken); err != nil {
				return err
			}
			if taken > 0 {
				out[i].Status, out[i].Error = sync.StatusInvalid, "receipt code already used by another record of this terminal"
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO record (id, terminal, content_hash, body, receipt, verdict,
				retiree_masked, ended_at, synthetic, received_at, frame_source, review) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, terminal, hash, string(central.Body(r)), r.Receipt, r.Verdict, certkiosk.Mask(r.RetireeID),
				ts(r.Ended), r.Synthetic, ts(now), r.FrameSource, central.NeedsReview(r)); err != nil {
				return err
			}
			for _, e := range r.Evidence {
				if _, err := tx.ExecContext(ctx, `INSERT INTO evidence (record_id, kind, sha256, ciphertext) VALUES (?, ?, ?, ?)`,
					r.ID, e.Kind, e.SHA256, e.Ciphertext); err != nil {
					return err
				}
			}
			out[i].Status = sync.StatusAccepted
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO counter (name, value) VALUES ('duplicates', ?), ('batches', 1)
			ON CONFLICT (name) DO UPDATE SET value = value + excluded.value`, dups)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return out, nil
}

// Stats implements central.Storage.
func (s *Store) Stats(ctx context.Context) (central.Stats, error) {
	var st central.Stats
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM record), (SELECT count(*) FROM conflict), (SELECT count(*) FROM evidence),
		(SELECT count(*) FROM terminal WHERE enrolled_at IS NOT NULL),
		coalesce((SELECT value FROM counter WHERE name = 'duplicates'), 0),
		coalesce((SELECT value FROM counter WHERE name = 'batches'), 0),
		(SELECT count(*) FROM record WHERE review = 1), (SELECT count(*) FROM audit_alarm)`).
		Scan(&st.Records, &st.Conflicts, &st.Evidence, &st.Terminals, &st.Duplicates, &st.Batches, &st.Flagged, &st.AuditAlarms)
	return st, err
}

// Receipt implements central.Storage.
func (s *Store) Receipt(ctx context.Context, terminal, code string) (central.ReceiptStatus, error) {
	var r central.ReceiptStatus
	var ended string
	err := s.db.QueryRowContext(ctx, `SELECT receipt, id, terminal, verdict, retiree_masked, ended_at, synthetic, frame_source, review
		FROM record WHERE terminal = ? AND receipt = ?`, terminal, code).Scan(&r.Receipt, &r.RecordID, &r.Terminal, &r.Verdict,
		&r.Retiree, &ended, &r.Synthetic, &r.FrameSource, &r.Review)
	if errors.Is(err, sql.ErrNoRows) {
		return r, central.ErrNotFound
	}
	r.Ended, _ = time.Parse(time.RFC3339Nano, ended)
	return r, err
}

// EachEvidence implements central.Storage.
func (s *Store) EachEvidence(ctx context.Context, fn func(recordID, kind string, ciphertext []byte) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT record_id, kind, ciphertext FROM evidence ORDER BY record_id, kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return central.ReadEvidence(rows, fn)
}

// PutRoster implements central.Storage.
func (s *Store) PutRoster(ctx context.Context, rs []sync.RosterEntry) (version int64, changed, deleted int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM counter WHERE name = 'roster_version'), 0)`).Scan(&version); err != nil {
			return err
		}
		next := version + 1
		if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS incoming (id TEXT PRIMARY KEY); DELETE FROM incoming`); err != nil {
			return err
		}
		for _, r := range rs {
			e, _ := json.Marshal(r)
			res, err := tx.ExecContext(ctx, `INSERT INTO roster (id, entry, version) VALUES (?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET entry = excluded.entry, version = excluded.version, deleted = 0
				WHERE roster.entry <> excluded.entry OR roster.deleted = 1`, r.ID, string(e), next)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			changed += int(n)
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO incoming (id) VALUES (?)`, r.ID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE roster SET deleted = 1, version = ? WHERE deleted = 0 AND id NOT IN (SELECT id FROM incoming)`, next)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		deleted = int(n)
		if changed+deleted == 0 {
			return nil
		}
		version = next
		_, err = tx.ExecContext(ctx, `INSERT INTO counter (name, value) VALUES ('roster_version', ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, next)
		return err
	})
	return version, changed, deleted, err
}

// RosterSince implements central.Storage.
func (s *Store) RosterSince(ctx context.Context, since int64) (sync.RosterUpdate, error) {
	var u sync.RosterUpdate
	err := s.inTx(ctx, func(tx *sql.Tx) error { // one snapshot for version and rows
		if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT value FROM counter WHERE name = 'roster_version'), 0)`).Scan(&u.Version); err != nil {
			return err
		}
		u.Full = since <= 0 || since > u.Version
		q, args := `SELECT id, entry, deleted FROM roster WHERE version > ? ORDER BY id`, []any{since}
		if u.Full {
			q, args = `SELECT id, entry, deleted FROM roster WHERE deleted = 0 ORDER BY id`, nil
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return central.ReadRoster(rows, &u)
	})
	return u, err
}

// RecordAuditHead implements central.Storage.
func (s *Store) RecordAuditHead(ctx context.Context, terminal string, h sync.AuditHead, now time.Time) (sync.AuditAnswer, error) {
	var a sync.AuditAnswer
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE terminal = ?`, terminal).Scan(&a.Seq, &a.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if problem := central.CheckAuditHead(a.Seq, a.Hash, h); problem != "" {
			a.Status, a.Detail = sync.AuditMismatch, problem
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_alarm (terminal, detail, at) VALUES (?, ?, ?)`, terminal, problem, ts(now))
			return err
		}
		a.Status, a.Seq, a.Hash = sync.AuditOK, h.Seq, h.Hash
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_head (terminal, seq, hash, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (terminal) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`, terminal, h.Seq, h.Hash, ts(now))
		return err
	})
	if err != nil {
		return a, fmt.Errorf("audit head of %s: %w", terminal, err)
	}
	return a, nil
}

// AuditState implements central.Storage.
func (s *Store) AuditState(ctx context.Context, terminal string) (int64, string, []central.AuditAlarm, error) {
	var seq int64
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE terminal = ?`, terminal).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT terminal, detail, at FROM audit_alarm WHERE terminal = ? ORDER BY seq`, terminal)
	if err != nil {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	defer rows.Close()
	var alarms []central.AuditAlarm
	for rows.Next() {
		var al central.AuditAlarm
		var at string
		if err := rows.Scan(&al.Terminal, &al.Detail, &at); err != nil {
			return 0, "", nil, err
		}
		al.At, _ = time.Parse(time.RFC3339Nano, at)
		alarms = append(alarms, al)
	}
	return seq, hash, alarms, rows.Err()
}
