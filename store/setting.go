package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"certkiosk"
)

// Key names a setting. The keys are the constants Set…; a key that holds
// a secret is never written to the audit log (certkiosk.SettingKey.Secret).
type Key = certkiosk.SettingKey

// Setting keys.
const (
	SetTerminalID            = certkiosk.SettingTerminalID
	SetEvidenceRecipient Key = "evidence_recipient"
	SetRecipientSource   Key = "evidence_recipient_source" // "local" or "central"
	SetRetentionDays         = certkiosk.SettingRetentionDays
)

// Setting returns a setting's value, or def when it is not set.
func (s *DB) Setting(ctx context.Context, key Key, def string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting changes a setting and logs the change: old and new value,
// or only that it changed for a secret.
func (s *DB) SetSetting(ctx context.Context, actor string, key Key, value string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.setSetting(ctx, tx, actor, key, value) })
	if err != nil {
		return fmt.Errorf("change setting %s: %w", key, err)
	}
	return nil
}

func (s *DB) setSetting(ctx context.Context, tx *sql.Tx, actor string, key Key, value string) error {
	var old sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, key).Scan(&old); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if old.Valid && old.String == value {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return err
	}
	detail := map[string]any{"old": old.String, "new": value}
	if key.Secret() {
		detail = map[string]any{"changed": true}
	}
	return s.audit(ctx, tx, actor, ActSettingChange, string(key), detail)
}

// NoteSync records when the outbox was last emptied. It is bookkeeping,
// written at every sync, so it is not audited like a supervisor's change.
func (s *DB) NoteSync(ctx context.Context, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, SetLastSync, at.UTC().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("note sync time: %w", err)
	}
	return nil
}
