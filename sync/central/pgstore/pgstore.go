// Package pgstore keeps the central service's state in PostgreSQL, for a
// city-wide deployment with many terminals syncing at once.
package pgstore

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"certkiosk"
	"certkiosk/sync"
	"certkiosk/sync/central"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const schema = `
CREATE TABLE IF NOT EXISTS terminal (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, public_key BYTEA,
    token_hash TEXT UNIQUE, token_expires TIMESTAMPTZ, revoked BOOLEAN NOT NULL DEFAULT false, enrolled_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS nonce (
    terminal TEXT NOT NULL, nonce TEXT NOT NULL, at TIMESTAMPTZ NOT NULL, PRIMARY KEY (terminal, nonce));
CREATE INDEX IF NOT EXISTS nonce_at ON nonce (at);
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY, terminal TEXT NOT NULL, content_hash TEXT NOT NULL, body JSONB NOT NULL,
    receipt TEXT NOT NULL, verdict TEXT NOT NULL, retiree_masked TEXT NOT NULL, ended_at TIMESTAMPTZ NOT NULL,
    synthetic BOOLEAN NOT NULL, received_at TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS record_receipt ON record (receipt);
CREATE TABLE IF NOT EXISTS evidence (
    record_id TEXT NOT NULL REFERENCES record (id), kind TEXT NOT NULL, sha256 TEXT NOT NULL,
    ciphertext BYTEA NOT NULL, PRIMARY KEY (record_id, kind));
CREATE TABLE IF NOT EXISTS conflict (
    seq BIGSERIAL PRIMARY KEY, record_id TEXT NOT NULL, terminal TEXT NOT NULL, content_hash TEXT NOT NULL,
    body JSONB NOT NULL, at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO counter (name, value) VALUES ('duplicates', 0), ('batches', 0), ('roster_version', 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS roster (
    id TEXT PRIMARY KEY, entry JSONB NOT NULL, version BIGINT NOT NULL, deleted BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS roster_version ON roster (version);
ALTER TABLE record ADD COLUMN IF NOT EXISTS frame_source TEXT NOT NULL DEFAULT '';
ALTER TABLE record ADD COLUMN IF NOT EXISTS review BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS record_terminal_receipt ON record (terminal, receipt);
CREATE TABLE IF NOT EXISTS audit_head (
    terminal TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
CREATE TABLE IF NOT EXISTS audit_alarm (
    seq BIGSERIAL PRIMARY KEY, terminal TEXT NOT NULL, detail TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);
`

// Store is the PostgreSQL storage.
type Store struct{ pool *pgxpool.Pool }

// Open connects to url and creates the schema if needed.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Concurrent first starts would race on CREATE; a lock serialises them.
	if _, err := pool.Exec(ctx, `SELECT pg_advisory_lock(7337); `+schema+` SELECT pg_advisory_unlock(7337);`); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: schema: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Reset empties every table (benchmarks start from a clean slate).
func (s *Store) Reset(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `TRUNCATE evidence, record, conflict, nonce, terminal, roster, audit_head, audit_alarm; UPDATE counter SET value = 0`)
	return err
}

// Close closes the pool.
func (s *Store) Close() error { s.pool.Close(); return nil }

// AddTerminal implements central.Storage.
func (s *Store) AddTerminal(ctx context.Context, id, name, tokenHash string, expires time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var enrolled *time.Time
		err := tx.QueryRow(ctx, `SELECT enrolled_at FROM terminal WHERE id = $1 FOR UPDATE`, id).Scan(&enrolled)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO terminal (id, name, token_hash, token_expires) VALUES ($1, $2, $3, $4)`,
				id, name, tokenHash, expires)
			return err
		case err != nil:
			return err
		case enrolled != nil:
			return fmt.Errorf("terminal %s: %w (enrolled)", id, central.ErrExists)
		}
		_, err = tx.Exec(ctx, `UPDATE terminal SET name = $1, token_hash = $2, token_expires = $3 WHERE id = $4`,
			name, tokenHash, expires, id)
		return err
	})
}

// Enroll implements central.Storage.
func (s *Store) Enroll(ctx context.Context, tokenHash string, pub ed25519.PublicKey, now time.Time) (central.Terminal, error) {
	var t central.Terminal
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT id, name, token_expires FROM terminal
			WHERE token_hash = $1 AND NOT revoked FOR UPDATE`, tokenHash).Scan(&t.ID, &t.Name, &expires)
		if errors.Is(err, pgx.ErrNoRows) {
			return central.ErrBadToken
		}
		if err != nil {
			return err
		}
		if now.After(expires) {
			return central.ErrBadToken
		}
		t.PublicKey = pub
		_, err = tx.Exec(ctx, `UPDATE terminal SET public_key = $1, enrolled_at = $2, token_hash = NULL WHERE id = $3`,
			[]byte(pub), now, t.ID)
		return err
	})
	return t, err
}

// ReenrollToken implements central.Storage.
func (s *Store) ReenrollToken(ctx context.Context, id, tokenHash string, expires time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE terminal SET token_hash = $1, token_expires = $2
		WHERE id = $3 AND enrolled_at IS NOT NULL AND NOT revoked`, tokenHash, expires, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return central.ErrNotFound
	}
	return nil
}

// Terminal implements central.Storage.
func (s *Store) Terminal(ctx context.Context, id string) (central.Terminal, error) {
	var t central.Terminal
	var pub []byte
	err := s.pool.QueryRow(ctx, `SELECT id, name, public_key, revoked FROM terminal WHERE id = $1`, id).
		Scan(&t.ID, &t.Name, &pub, &t.Revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, central.ErrNotFound
	}
	t.PublicKey = pub
	return t, err
}

// RevokeTerminal implements central.Storage.
func (s *Store) RevokeTerminal(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE terminal SET revoked = true, token_hash = NULL WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return central.ErrNotFound
	}
	return nil
}

// UseNonce implements central.Storage.
func (s *Store) UseNonce(ctx context.Context, terminal, nonce string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM nonce WHERE at < $1`, at.Add(-3*sync.MaxSkew)); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO nonce (terminal, nonce, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		terminal, nonce, at)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return central.ErrNonceReuse
	}
	return nil
}

// Ingest implements central.Storage: one transaction per batch; a record
// delivered twice at once is inserted once (ON CONFLICT), the other copy
// then compares hashes.
func (s *Store) Ingest(ctx context.Context, terminal string, recs []sync.Record, now time.Time) ([]sync.RecordResult, error) {
	out := make([]sync.RecordResult, len(recs))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		dups := 0
		for i, r := range recs {
			out[i] = sync.RecordResult{ID: r.ID}
			if err := central.ValidateRecord(terminal, r); err != nil {
				out[i].Status, out[i].Error = sync.StatusInvalid, err.Error()
				continue
			}
			hash := r.ContentHash()
			// A terminal's receipt codes are unique: another record of the
			// terminal with this code (not this ID) makes the record invalid.
			// The lock serialises two deliveries of one terminal's records.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, terminal); err != nil {
				return err
			}
			var taken bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM record WHERE terminal = $1 AND receipt = $2 AND id <> $3)`,
				terminal, r.Receipt, r.ID).Scan(&taken); err != nil {
				return err
			}
			if taken {
				out[i].Status, out[i].Error = sync.StatusInvalid, "receipt code already used by another record of this terminal"
				continue
			}
			tag, err := tx.Exec(ctx, `INSERT INTO record (id, terminal, content_hash, body, receipt, verdict, retiree_masked,
				ended_at, synthetic, received_at, frame_source, review) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (id) DO NOTHING`,
				r.ID, terminal, hash, string(central.Body(r)), r.Receipt, r.Verdict, certkiosk.Mask(r.RetireeID), r.Ended,
				r.Synthetic, now, r.FrameSource, central.NeedsReview(r))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				var have string
				if err := tx.QueryRow(ctx, `SELECT content_hash FROM record WHERE id = $1`, r.ID).Scan(&have); err != nil {
					return err
				}
				if have == hash {
					out[i].Status = sync.StatusDuplicate
					dups++
					continue
				}
				out[i].Status, out[i].Error = sync.StatusConflict, "a different record has this ID"
				if _, err := tx.Exec(ctx, `INSERT INTO conflict (record_id, terminal, content_hash, body, at) VALUES ($1, $2, $3, $4, $5)`,
					r.ID, terminal, hash, string(central.Body(r)), now); err != nil {
					return err
				}
				continue
			}
			for _, e := range r.Evidence {
				if _, err := tx.Exec(ctx, `INSERT INTO evidence (record_id, kind, sha256, ciphertext) VALUES ($1, $2, $3, $4)`,
					r.ID, e.Kind, e.SHA256, e.Ciphertext); err != nil {
					return err
				}
			}
			out[i].Status = sync.StatusAccepted
		}
		_, err := tx.Exec(ctx, `UPDATE counter SET value = value + CASE name WHEN 'duplicates' THEN $1::bigint ELSE 1 END
			WHERE name IN ('duplicates', 'batches')`, dups)
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
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM record), (SELECT count(*) FROM conflict), (SELECT count(*) FROM evidence),
		(SELECT count(*) FROM terminal WHERE enrolled_at IS NOT NULL),
		(SELECT value FROM counter WHERE name = 'duplicates'), (SELECT value FROM counter WHERE name = 'batches'),
		(SELECT count(*) FROM record WHERE review), (SELECT count(*) FROM audit_alarm)`).
		Scan(&st.Records, &st.Conflicts, &st.Evidence, &st.Terminals, &st.Duplicates, &st.Batches, &st.Flagged, &st.AuditAlarms)
	return st, err
}

// Receipt implements central.Storage.
func (s *Store) Receipt(ctx context.Context, terminal, code string) (central.ReceiptStatus, error) {
	var r central.ReceiptStatus
	err := s.pool.QueryRow(ctx, `SELECT receipt, id, terminal, verdict, retiree_masked, ended_at, synthetic, frame_source, review
		FROM record WHERE terminal = $1 AND receipt = $2`, terminal, code).Scan(&r.Receipt, &r.RecordID, &r.Terminal, &r.Verdict,
		&r.Retiree, &r.Ended, &r.Synthetic, &r.FrameSource, &r.Review)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, central.ErrNotFound
	}
	return r, err
}

// EachEvidence implements central.Storage.
func (s *Store) EachEvidence(ctx context.Context, fn func(recordID, kind string, ciphertext []byte) error) error {
	rows, err := s.pool.Query(ctx, `SELECT record_id, kind, ciphertext FROM evidence ORDER BY record_id, kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return central.ReadEvidence(rows, fn)
}

// PutRoster implements central.Storage. The roster version row is locked
// for the whole import, so two imports run one after the other.
func (s *Store) PutRoster(ctx context.Context, rs []sync.RosterEntry) (version int64, changed, deleted int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT value FROM counter WHERE name = 'roster_version' FOR UPDATE`).Scan(&version); err != nil {
			return err
		}
		next := version + 1
		ids := make([]string, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
			e, _ := json.Marshal(r)
			tag, err := tx.Exec(ctx, `INSERT INTO roster (id, entry, version) VALUES ($1, $2, $3)
				ON CONFLICT (id) DO UPDATE SET entry = excluded.entry, version = excluded.version, deleted = false
				WHERE roster.entry <> excluded.entry OR roster.deleted`, r.ID, string(e), next)
			if err != nil {
				return err
			}
			changed += int(tag.RowsAffected())
		}
		tag, err := tx.Exec(ctx, `UPDATE roster SET deleted = true, version = $1 WHERE NOT deleted AND NOT (id = ANY($2))`, next, ids)
		if err != nil {
			return err
		}
		deleted = int(tag.RowsAffected())
		if changed+deleted == 0 {
			return nil
		}
		version = next
		_, err = tx.Exec(ctx, `UPDATE counter SET value = $1 WHERE name = 'roster_version'`, next)
		return err
	})
	return version, changed, deleted, err
}

// RosterSince implements central.Storage.
func (s *Store) RosterSince(ctx context.Context, since int64) (sync.RosterUpdate, error) {
	var u sync.RosterUpdate
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT value FROM counter WHERE name = 'roster_version'`).Scan(&u.Version); err != nil {
			return err
		}
		u.Full = since <= 0 || since > u.Version
		q, args := `SELECT id, entry::text, deleted FROM roster WHERE version > $1 ORDER BY id`, []any{since}
		if u.Full {
			q, args = `SELECT id, entry::text, deleted FROM roster WHERE NOT deleted ORDER BY id`, nil
		}
		rows, err := tx.Query(ctx, q, args...)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('audit:' || $1))`, terminal); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE terminal = $1`, terminal).Scan(&a.Seq, &a.Hash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if problem := central.CheckAuditHead(a.Seq, a.Hash, h); problem != "" {
			a.Status, a.Detail = sync.AuditMismatch, problem
			_, err := tx.Exec(ctx, `INSERT INTO audit_alarm (terminal, detail, at) VALUES ($1, $2, $3)`, terminal, problem, now)
			return err
		}
		a.Status, a.Seq, a.Hash = sync.AuditOK, h.Seq, h.Hash
		_, err = tx.Exec(ctx, `INSERT INTO audit_head (terminal, seq, hash, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (terminal) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`, terminal, h.Seq, h.Hash, now)
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
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE terminal = $1`, terminal).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT terminal, detail, at FROM audit_alarm WHERE terminal = $1 ORDER BY seq`, terminal)
	if err != nil {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	defer rows.Close()
	var alarms []central.AuditAlarm
	for rows.Next() {
		var al central.AuditAlarm
		if err := rows.Scan(&al.Terminal, &al.Detail, &al.At); err != nil {
			return 0, "", nil, err
		}
		alarms = append(alarms, al)
	}
	return seq, hash, alarms, rows.Err()
}
