package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"certkiosk"

	"filippo.io/age"
)

// Evidence is a piece of plaintext evidence handed to SaveCertification. It
// lives only in memory: it is encrypted before anything is written.
type Evidence = certkiosk.Evidence

// Evidence kinds.
const (
	EvidenceBestFrame = certkiosk.EvidenceBestFrame
	EvidenceClip      = certkiosk.EvidenceClip
)

// DefaultRetentionDays is how long evidence stays after the central
// service acknowledged its record.
const DefaultRetentionDays = certkiosk.DefaultRetentionDays

// Recipient sources.
const (
	RecipientLocal   = "local"   // made by kioskctl init; identity given to the supervisor once
	RecipientCentral = "central" // the central service's, received at enrollment
)

// CreateLocalEvidenceKey makes a new X25519 key pair for evidence, keeps
// only its public half (the recipient) and returns the private identity,
// which the caller must hand to the supervisor and not store: the kiosk
// must not be able to decrypt its own evidence. Enrollment replaces the
// recipient with the central service's.
func (s *DB) CreateLocalEvidenceKey(ctx context.Context, actor string) (identity string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("create evidence key: %w", err)
	}
	if err := s.SetEvidenceRecipient(ctx, actor, id.Recipient().String(), RecipientLocal); err != nil {
		return "", err
	}
	return id.String(), nil
}

// SetEvidenceRecipient sets the age X25519 recipient new evidence is
// encrypted to.
func (s *DB) SetEvidenceRecipient(ctx context.Context, actor, recipient, source string) error {
	if _, err := age.ParseX25519Recipient(recipient); err != nil {
		return certkiosk.E(certkiosk.EINVALID, "error.store.recipient", "parse evidence recipient: %v", err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.setSetting(ctx, tx, actor, SetEvidenceRecipient, recipient); err != nil {
			return err
		}
		return s.setSetting(ctx, tx, actor, SetRecipientSource, source)
	})
	if err != nil {
		return fmt.Errorf("set evidence recipient: %w", err)
	}
	return nil
}

// evidenceRecipient returns the recipient inside tx.
func (s *DB) evidenceRecipient(ctx context.Context, tx *sql.Tx) (string, *age.X25519Recipient, error) {
	var r string
	err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, SetEvidenceRecipient).Scan(&r)
	if err == sql.ErrNoRows {
		return "", nil, certkiosk.E(certkiosk.EUNAVAILABLE, "error.store.no_recipient",
			"no evidence recipient configured")
	}
	if err != nil {
		return "", nil, err
	}
	rec, err := age.ParseX25519Recipient(r)
	if err != nil {
		return "", nil, fmt.Errorf("stored evidence recipient: %w", err)
	}
	return r, rec, nil
}

func encrypt(rec age.Recipient, plain []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rec)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncryptedEvidence is evidence as stored: ciphertext only.
type EncryptedEvidence struct {
	CertID     string
	Kind       string
	Recipient  string
	SHA256     string // hex, of Ciphertext
	Ciphertext []byte
}

// EvidenceOf returns a certification's encrypted evidence (for sync and
// export; the kiosk cannot open it).
func (s *DB) EvidenceOf(ctx context.Context, certID string) ([]EncryptedEvidence, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT cert_id, kind, recipient, sha256, ciphertext FROM evidence WHERE cert_id = ? ORDER BY kind`, certID)
	if err != nil {
		return nil, fmt.Errorf("evidence of %s: %w", certID, err)
	}
	defer rows.Close()
	var out []EncryptedEvidence
	for rows.Next() {
		var e EncryptedEvidence
		if err := rows.Scan(&e.CertID, &e.Kind, &e.Recipient, &e.SHA256, &e.Ciphertext); err != nil {
			return nil, fmt.Errorf("evidence of %s: %w", certID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PurgeEvidence deletes the evidence of records the central service
// acknowledged more than the retention period (setting
// evidence_retention_days, default 30) ago. It returns how many pieces
// went.
func (s *DB) PurgeEvidence(ctx context.Context, actor string) (int, error) {
	v, err := s.Setting(ctx, SetRetentionDays, strconv.Itoa(DefaultRetentionDays))
	if err != nil {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 0 {
		return 0, fmt.Errorf("purge evidence: bad retention setting %q", v)
	}
	cutoff := s.now().UTC().Add(-time.Duration(days) * 24 * time.Hour).Format(time.RFC3339Nano)
	var n int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM evidence WHERE cert_id IN (
			SELECT id FROM certification WHERE sync_state = 'acked' AND acked_at < ?)`, cutoff)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, ActEvidencePurge, "", map[string]any{"deleted": n, "retention_days": days})
	})
	if err != nil {
		return 0, fmt.Errorf("purge evidence: %w", err)
	}
	return int(n), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
