package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"certkiosk"
	"certkiosk/central"
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
	// Only the photos of retirees on the live roster are given out.
	err := s.row(ctx, s.db, `SELECT p.sha256, p.ciphertext FROM roster_photo p JOIN roster r ON r.id = p.retiree_id
		WHERE p.retiree_id = ? AND NOT r.deleted`, retireeID).Scan(&p.SHA256, &p.Ciphertext)
	if errors.Is(err, sql.ErrNoRows) {
		return p, central.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("photo: %w", err)
	}
	return p, nil
}

// PhotoDigests implements central.PhotoStorage: the digest each live
// roster entry lists, or the digest of the photo held when there is one.
// Entries keep their digest even when the photo is not held (the upgrade
// that sealed photos dropped those in clear): terminals then keep theirs.
func (s *Store) PhotoDigests(ctx context.Context) (map[string]string, error) {
	m := map[string]string{}
	rows, err := s.query(ctx, s.db, `SELECT id, CAST(entry AS TEXT) FROM roster WHERE NOT deleted`)
	if err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, entry string
		var e struct {
			PhotoSHA256 string `json:"photo_sha256"`
		}
		if err := rows.Scan(&id, &entry); err != nil {
			return nil, fmt.Errorf("photo digests: %w", err)
		}
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			return nil, fmt.Errorf("photo digests: roster entry %s: %w", certkiosk.Mask(id), err)
		}
		if e.PhotoSHA256 != "" {
			m[id] = e.PhotoSHA256
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	held, err := s.query(ctx, s.db, `SELECT retiree_id, sha256 FROM roster_photo`)
	if err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	defer held.Close()
	for held.Next() {
		var id, sum string
		if err := held.Scan(&id, &sum); err != nil {
			return nil, fmt.Errorf("photo digests: %w", err)
		}
		m[id] = sum
	}
	if err := held.Err(); err != nil {
		return nil, fmt.Errorf("photo digests: %w", err)
	}
	return m, nil
}

var _ central.PhotoFetchLog = (*Store)(nil)

// NotePhotoFetch implements central.PhotoFetchLog; fetches older than 400
// days are forgotten.
func (s *Store) NotePhotoFetch(ctx context.Context, terminal, retireeID string, at, since time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, nil, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM photo_fetch WHERE at < ?`, s.ts(at.AddDate(0, 0, -400))); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO photo_fetch (terminal, retiree_id, at) VALUES (?, ?, ?)`,
			terminal, retireeID, s.ts(at)); err != nil {
			return err
		}
		return s.row(ctx, tx, `SELECT count(*) FROM photo_fetch WHERE terminal = ? AND at > ?`, terminal, s.ts(since)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("photo fetch: %w", err)
	}
	return n, nil
}
