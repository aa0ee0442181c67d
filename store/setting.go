package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting keys.
const (
	SetTerminalID        = "terminal_id"
	SetEvidenceRecipient = "evidence_recipient"
	SetRecipientSource   = "evidence_recipient_source" // "local" or "central"
	SetRetentionDays     = "evidence_retention_days"
)

// Setting returns a setting's value, or def when it is not set.
func (s *DB) Setting(ctx context.Context, key, def string) (string, error) {
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

// SetSetting changes a setting and logs the change (old and new value; no
// setting holds a secret).
func (s *DB) SetSetting(ctx context.Context, actor, key, value string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.setSetting(ctx, tx, actor, key, value) })
	if err != nil {
		return fmt.Errorf("change setting %s: %w", key, err)
	}
	return nil
}

func (s *DB) setSetting(ctx context.Context, tx *sql.Tx, actor, key, value string) error {
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
	return s.audit(ctx, tx, actor, ActSettingChange, key, map[string]any{"old": old.String, "new": value})
}
