package sqlstore

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"certkiosk/central"
	"certkiosk/sync"
)

// Store implements central.Storage on a database/sql handle.
type Store struct {
	db *sql.DB
	d  Dialect
	// reads, when set, is a pool whose transactions never take the write
	// lock (SQLite: deferred, query-only): long reads such as a full
	// roster download use it, so they never hold up ingest (N5).
	reads *sql.DB
}

// SetReadPool gives the store a pool for long reads (see Store.reads); the
// store closes it.
func (s *Store) SetReadPool(db *sql.DB) { s.reads = db }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open brings db's schema up to date and returns the store, which owns db.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	s := &Store{db: db, d: d}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	return s, nil
}

// DB is the database handle (tests and maintenance).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	if s.reads != nil {
		s.reads.Close()
	}
	return s.db.Close()
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.d.rebind(query), args...)
}

// execN runs a statement and returns how many rows it changed.
func (s *Store) execN(ctx context.Context, q querier, query string, args ...any) (int64, error) {
	res, err := s.exec(ctx, q, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s *Store) row(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.d.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.d.rebind(query), args...)
}

func (s *Store) ts(t time.Time) any { return s.d.Time(t) }

func (s *Store) lock(ctx context.Context, tx *sql.Tx, key string) error {
	if s.d.Lock == nil {
		return nil
	}
	return s.d.Lock(ctx, tx, key)
}

func (s *Store) inTx(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	return inTxOn(ctx, s.db, opts, fn)
}

func inTxOn(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
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
func (s *Store) AddTerminal(ctx context.Context, id, name, tokenHash string, now, expires time.Time) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		var enrolled bool
		err := s.row(ctx, tx, `SELECT enrolled_at IS NOT NULL FROM terminal WHERE id = ?`+s.d.ForUpdate, id).Scan(&enrolled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = s.exec(ctx, tx, `INSERT INTO terminal (id, name, token_hash, token_expires, added_at) VALUES (?, ?, ?, ?, ?)`,
				id, name, tokenHash, s.ts(expires), s.ts(now))
			return err
		case err != nil:
			return err
		case enrolled:
			return fmt.Errorf("terminal %s: %w (enrolled)", id, central.ErrExists)
		}
		_, err = s.exec(ctx, tx, `UPDATE terminal SET name = ?, token_hash = ?, token_expires = ? WHERE id = ?`,
			name, tokenHash, s.ts(expires), id)
		return err
	})
}

// Enroll implements central.Storage.
func (s *Store) Enroll(ctx context.Context, tokenHash string, pub ed25519.PublicKey, now time.Time) (central.Terminal, error) {
	var t central.Terminal
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		var expires time.Time
		err := s.row(ctx, tx, `SELECT id, name, token_expires FROM terminal WHERE token_hash = ? AND NOT revoked`+s.d.ForUpdate,
			tokenHash).Scan(&t.ID, &t.Name, scanTime{&expires})
		if errors.Is(err, sql.ErrNoRows) {
			return central.ErrBadToken
		}
		if err != nil {
			return err
		}
		if now.After(expires) {
			return central.ErrBadToken
		}
		var revokedKey []byte
		if err := s.row(ctx, tx, `SELECT revoked_key FROM terminal WHERE id = ?`, t.ID).Scan(&revokedKey); err != nil {
			return err
		}
		if revokedKey != nil && ed25519.PublicKey(revokedKey).Equal(pub) {
			return central.ErrRevokedKey
		}
		t.PublicKey = pub
		// enrolled_at is the first enrollment: a re-enrollment (a key
		// rotation) keeps it, so the records the terminal made before
		// still fall after it (central.CheckRecordTime).
		_, err = s.exec(ctx, tx, `UPDATE terminal SET public_key = ?, enrolled_at = COALESCE(enrolled_at, ?), token_hash = NULL WHERE id = ?`,
			[]byte(pub), s.ts(now), t.ID)
		return err
	})
	return t, err
}

// ReenrollToken implements central.Storage.
func (s *Store) ReenrollToken(ctx context.Context, id, tokenHash string, expires time.Time) error {
	n, err := s.execN(ctx, s.db, `UPDATE terminal SET token_hash = ?, token_expires = ?
		WHERE id = ? AND enrolled_at IS NOT NULL AND NOT revoked`, tokenHash, s.ts(expires), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// Terminal implements central.Storage.
func (s *Store) Terminal(ctx context.Context, id string) (central.Terminal, error) {
	var t central.Terminal
	var pub []byte
	err := s.row(ctx, s.db, `SELECT id, name, public_key, revoked, added_at, enrolled_at FROM terminal WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &pub, &t.Revoked, scanTime{&t.Added}, scanTime{&t.Enrolled})
	if errors.Is(err, sql.ErrNoRows) {
		return t, central.ErrNotFound
	}
	t.PublicKey = pub
	return t, err
}

// RevokeTerminal implements central.Storage.
func (s *Store) RevokeTerminal(ctx context.Context, id string) error {
	n, err := s.execN(ctx, s.db, `UPDATE terminal SET revoked = TRUE, token_hash = NULL WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return central.ErrNotFound
	}
	return nil
}

// UseNonce implements central.Storage.
func (s *Store) UseNonce(ctx context.Context, terminal, nonce string, at time.Time) error {
	return s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM nonce WHERE at < ?`, s.ts(at.Add(-3*sync.MaxSkew))); err != nil {
			return err
		}
		n, err := s.execN(ctx, tx, `INSERT INTO nonce (terminal, nonce, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			terminal, nonce, s.ts(at))
		if err != nil {
			return err
		}
		if n == 0 {
			return central.ErrNonceReuse
		}
		return nil
	})
}

// Stats implements central.Storage.
func (s *Store) Stats(ctx context.Context) (central.Stats, error) {
	var st central.Stats
	err := s.row(ctx, s.db, `SELECT
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
	err := s.row(ctx, s.db, `SELECT receipt, id, terminal, verdict, retiree_masked, ended_at, synthetic, frame_source, review
		FROM record WHERE terminal = ? AND receipt = ?`, terminal, code).Scan(&r.Receipt, &r.RecordID, &r.Terminal, &r.Verdict,
		&r.Retiree, scanTime{&r.Ended}, &r.Synthetic, &r.FrameSource, &r.Review)
	if errors.Is(err, sql.ErrNoRows) {
		return r, central.ErrNotFound
	}
	return r, err
}

// EachEvidence implements central.Storage.
func (s *Store) EachEvidence(ctx context.Context, fn func(recordID, kind string, ciphertext []byte) error) error {
	rows, err := s.query(ctx, s.db, `SELECT record_id, kind, ciphertext FROM evidence ORDER BY record_id, kind`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return central.ReadEvidence(rows, fn)
}

// PutRoster implements central.Storage. The roster version row is locked
// for the whole import, so two imports run one after the other.
func (s *Store) PutRoster(ctx context.Context, rs []sync.RosterEntry) (version int64, changed, deleted int, err error) {
	err = s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := s.row(ctx, tx, `SELECT value FROM counter WHERE name = 'roster_version'`+s.d.ForUpdate).Scan(&version); err != nil {
			return err
		}
		next := version + 1
		incoming := make(map[string]bool, len(rs))
		for _, r := range rs {
			incoming[r.ID] = true
			e, _ := json.Marshal(r)
			n, err := s.execN(ctx, tx, `INSERT INTO roster (id, entry, version) VALUES (?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET entry = excluded.entry, version = excluded.version, deleted = FALSE
				WHERE roster.entry <> excluded.entry OR roster.deleted`, r.ID, string(e), next)
			if err != nil {
				return err
			}
			changed += int(n)
		}
		gone, err := s.absent(ctx, tx, incoming)
		if err != nil {
			return err
		}
		for _, id := range gone {
			if _, err := s.exec(ctx, tx, `UPDATE roster SET deleted = TRUE, version = ? WHERE id = ?`, next, id); err != nil {
				return err
			}
		}
		deleted = len(gone)
		if changed+deleted == 0 {
			return nil
		}
		version = next
		_, err = s.exec(ctx, tx, `UPDATE counter SET value = ? WHERE name = 'roster_version'`, next)
		return err
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("put roster: %w", err)
	}
	return version, changed, deleted, nil
}

// absent lists the IDs of the live roster that are not in incoming.
func (s *Store) absent(ctx context.Context, tx *sql.Tx, incoming map[string]bool) ([]string, error) {
	rows, err := s.query(ctx, tx, `SELECT id FROM roster WHERE NOT deleted`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !incoming[id] {
			gone = append(gone, id)
		}
	}
	return gone, rows.Err()
}

// RosterSince implements central.Storage.
func (s *Store) RosterSince(ctx context.Context, since int64) (sync.RosterUpdate, error) {
	var u sync.RosterUpdate
	db := s.db
	if s.reads != nil {
		db = s.reads // a read snapshot that holds no write lock
	}
	err := inTxOn(ctx, db, s.d.Snapshot, func(tx *sql.Tx) error { // one snapshot for version and rows
		if err := s.row(ctx, tx, `SELECT value FROM counter WHERE name = 'roster_version'`).Scan(&u.Version); err != nil {
			return err
		}
		u.Full = since <= 0 || since > u.Version
		// The phone and address a counter checked with the retiree
		// (retiree_contact) are served over the office's: a terminal that
		// corrected them must not get the old ones back (putContact
		// publishes each such change as a new roster version).
		const cols = `SELECT r.id, CAST(r.entry AS TEXT), r.deleted, coalesce(c.phone, ''), coalesce(c.address, '')
			FROM roster r LEFT JOIN retiree_contact c ON c.retiree_id = r.id`
		q, args := cols+` WHERE r.version > ? ORDER BY r.id`, []any{since}
		if u.Full {
			q, args = cols+` WHERE NOT r.deleted ORDER BY r.id`, nil
		}
		rows, err := s.query(ctx, tx, q, args...)
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
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if err := s.lock(ctx, tx, "audit:"+terminal); err != nil {
			return err
		}
		err := s.row(ctx, tx, `SELECT seq, hash FROM audit_head WHERE terminal = ?`, terminal).Scan(&a.Seq, &a.Hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if problem := central.CheckAuditHead(a.Seq, a.Hash, h); problem != "" {
			a.Status, a.Detail = sync.AuditMismatch, problem
			_, err := s.exec(ctx, tx, `INSERT INTO audit_alarm (terminal, detail, at) VALUES (?, ?, ?)`, terminal, problem, s.ts(now))
			return err
		}
		a.Status, a.Seq, a.Hash = sync.AuditOK, h.Seq, h.Hash
		_, err = s.exec(ctx, tx, `INSERT INTO audit_head (terminal, seq, hash, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (terminal) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, at = excluded.at`,
			terminal, h.Seq, h.Hash, s.ts(now))
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
	err := s.row(ctx, s.db, `SELECT seq, hash FROM audit_head WHERE terminal = ?`, terminal).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	rows, err := s.query(ctx, s.db, `SELECT terminal, detail, at FROM audit_alarm WHERE terminal = ? ORDER BY seq`, terminal)
	if err != nil {
		return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
	}
	defer rows.Close()
	var alarms []central.AuditAlarm
	for rows.Next() {
		var al central.AuditAlarm
		if err := rows.Scan(&al.Terminal, &al.Detail, scanTime{&al.At}); err != nil {
			return 0, "", nil, fmt.Errorf("audit state of %s: %w", terminal, err)
		}
		alarms = append(alarms, al)
	}
	return seq, hash, alarms, rows.Err()
}
