package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
)

// TerminalKey returns this terminal's Ed25519 key, making it on first use.
// It signs receipts from the first certification on, and enrollment
// registers its public half with the central service, so receipts printed
// before enrollment stay verifiable. The private key lives only in this
// database (file mode 0600).
func (s *DB) TerminalKey(ctx context.Context) (ed25519.PrivateKey, error) {
	var key ed25519.PrivateKey
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var seed string
		err := tx.QueryRowContext(ctx, `SELECT value FROM setting WHERE key = ?`, SetTerminalKey).Scan(&seed)
		if err == nil {
			b, derr := base64.StdEncoding.DecodeString(seed)
			if derr != nil || len(b) != ed25519.SeedSize {
				return errors.New("stored terminal key is corrupt")
			}
			key = ed25519.NewKeyFromSeed(b)
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		key = priv
		if _, err := tx.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)`, SetTerminalKey,
			base64.StdEncoding.EncodeToString(priv.Seed())); err != nil {
			return err
		}
		pub := key.Public().(ed25519.PublicKey)
		return s.audit(ctx, tx, "certkiosk", ActSettingChange, string(SetTerminalKey),
			map[string]any{"public_key": base64.StdEncoding.EncodeToString(pub)})
	})
	if err != nil {
		return nil, fmt.Errorf("terminal key: %w", err)
	}
	return key, nil
}
