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
func (s *Store) PutPhotos(ctx context.Context, photos map[string]central.SealedPhoto) error {
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		for id, p := range photos {
			if _, err := s.exec(ctx, tx, `INSERT INTO roster_photo (retiree_id, sha256, ciphertext) VALUES (?, ?, ?)
				ON CONFLICT (retiree_id) DO UPDATE SET sha256 = excluded.sha256, ciphertext = excluded.ciphertext`,
				id, p.SHA256, p.Ciphertext); err != nil {
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
func (s *Store) Photo(ctx context.Context, retireeID string) (central.SealedPhoto, error) {
	var p central.SealedPhoto
	err := s.row(ctx, s.db, `SELECT sha256, ciphertext FROM roster_photo WHERE retiree_id = ?`, retireeID).Scan(&p.SHA256, &p.Ciphertext)
	if errors.Is(err, sql.ErrNoRows) {
		return p, central.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("photo: %w", err)
	}
	return p, nil
}

// PhotoDigests implements central.PhotoStorage.
func (s *Store) PhotoDigests(ctx context.Context) (map[string]string, error) {
	rows, err := s.query(ctx, s.db, `SELECT retiree_id, sha256 FROM roster_photo`)
	if err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var id, sum string
		if err := rows.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("photo digests: %w", err)
		}
		m[id] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	return m, nil
}
