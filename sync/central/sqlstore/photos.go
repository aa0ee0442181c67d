package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"certkiosk/sync/central"
)

var _ central.PhotoStorage = (*Store)(nil)

// PutPhotos implements central.PhotoStorage, in one transaction.
func (s *Store) PutPhotos(ctx context.Context, photos map[string][]byte) error {
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		for id, b := range photos {
			if _, err := s.exec(ctx, tx, `INSERT INTO roster_photo (retiree_id, sha256, jpeg) VALUES (?, ?, ?)
				ON CONFLICT (retiree_id) DO UPDATE SET sha256 = excluded.sha256, jpeg = excluded.jpeg`,
				id, central.PhotoSHA256(b), b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put photos: %w", err)
	}
	return nil
}

// Photo implements central.PhotoStorage.
func (s *Store) Photo(ctx context.Context, retireeID string) ([]byte, error) {
	var b []byte
	err := s.row(ctx, s.db, `SELECT jpeg FROM roster_photo WHERE retiree_id = ?`, retireeID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, central.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("photo: %w", err)
	}
	return b, nil
}
