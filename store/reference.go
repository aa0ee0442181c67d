package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"certkiosk"

	"filippo.io/age"
)

// Reference photos are shown to staff beside the live face so they can
// compare the person with a picture (NOTES: no automatic face matching is
// trustworthy enough on these faces; staff judge). Unlike evidence, the
// terminal must open them itself, so they are encrypted with age to a key of
// this terminal — never the central's evidence key — kept in its own file
// (ReferenceKeyFile, 0600) beside the database: a copy of certkiosk.db alone
// (a backup, a file sent for support) shows no face.

// ReferenceKeyFile is the reference-photo identity's name in the data
// directory.
const ReferenceKeyFile = "reference.age-identity"

// Reference photo sources.
const (
	RefCard     = certkiosk.RefCard
	RefCentral  = certkiosk.RefCentral
	RefLastPass = certkiosk.RefLastPass
)

// refRank orders the sources: a photo is never replaced by one of a lower
// rank. The card's own photo was issued with the card the retiree just
// handed over; the office's may be older; a last pass is only our camera.
func refRank(source string) int {
	switch source {
	case RefCard:
		return 3
	case RefCentral:
		return 2
	case RefLastPass:
		return 1
	}
	return 0
}

// SetReferenceRetentionDays is how long a reference photo is kept after it
// was stored. The evidence retention (30 days after the central has a
// record) would delete a last-pass photo long before the retiree's next
// visit a year later, so reference photos have their own setting, one
// cycle plus a margin by default.
const (
	SetReferenceRetentionDays     Key = "reference_retention_days"
	DefaultReferenceRetentionDays     = 400
)

// MaxReferencePhotoBytes caps one reference photo (a JPEG).
const MaxReferencePhotoBytes = 512 << 10

// ReferencePhoto is a decrypted reference photo, held in memory only.
type ReferencePhoto = certkiosk.ReferencePhoto

// referenceKey loads this terminal's reference identity, making it on first
// use. The file is written 0600 through a temporary file so a crash never
// leaves half a key. tx is the caller's transaction, or nil.
//
// The first time the key is loaded, photos encrypted to any other recipient
// are deleted, audited: when the key file was lost (a restored backup of the
// database without it, a careless clean-up) a new key is made, and the
// photos held can never be opened again. Deleting them, rather than
// refusing to go on, keeps the counter working — reference photos are an
// aid, not a condition of certifying, and staff cannot bring a key back —
// and lets the download fetch the central's photos again (PhotosWanted).
func (s *DB) referenceKey(ctx context.Context, tx *sql.Tx) (*age.X25519Identity, error) {
	s.refMu.Lock()
	if s.refKey != nil {
		defer s.refMu.Unlock()
		return s.refKey, nil
	}
	id, err := s.loadReferenceKey()
	// Not held over the deletion below: a caller inside a write
	// transaction may be waiting for the lock meanwhile. Two first loads
	// read the same file and delete the same rows, harmlessly.
	s.refMu.Unlock()
	if err != nil {
		return nil, err
	}
	drop := func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reference_photo WHERE recipient <> ?`, id.Recipient().String())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return s.audit(ctx, tx, "certkiosk", ActReferencePurge, "key", map[string]any{"unreadable": n,
				"reason": "reference key missing or replaced; photos encrypted to another key deleted"})
		}
		return nil
	}
	if tx != nil {
		err = drop(tx)
	} else {
		err = s.inTx(ctx, drop)
	}
	if err != nil {
		return nil, fmt.Errorf("reference key: photos of another key: %w", err)
	}
	s.refMu.Lock()
	defer s.refMu.Unlock()
	if s.refKey == nil {
		s.refKey = id
	}
	return s.refKey, nil
}

// loadReferenceKey reads the reference identity's file, making it when
// there is none.
func (s *DB) loadReferenceKey() (*age.X25519Identity, error) {
	path := filepath.Join(s.dir, ReferenceKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		tmp, err := os.CreateTemp(s.dir, ".reference-key-*")
		if err != nil {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		defer os.Remove(tmp.Name())
		if err := tmp.Chmod(0o600); err != nil {
			tmp.Close()
			return nil, fmt.Errorf("reference key: %w", err)
		}
		if _, err := io.WriteString(tmp, id.String()+"\n"); err != nil {
			tmp.Close()
			return nil, fmt.Errorf("reference key: %w", err)
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return nil, fmt.Errorf("reference key: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		// Link, not rename: if another process made the key meanwhile,
		// keep that one.
		if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("reference key: %w", err)
		}
		b, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reference key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("reference key: %w", err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("reference key %s: %w", path, err)
	}
	return id, nil
}

// MaxReferencePhotoSide bounds a reference photo's width and height (the
// wire's MaxPhotoSide; a test in sync/terminal holds them equal): a JPEG of
// a few hundred bytes can declare 65535×65535 pixels, which decoding for
// the screen would allocate.
const MaxReferencePhotoSide = 4096

// checkPhotoSize reads a photo's dimensions from its header, without
// decoding it, and refuses one too large to decode safely.
func checkPhotoSize(b []byte) error {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a JPEG: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxReferencePhotoSide || cfg.Height > MaxReferencePhotoSide {
		return fmt.Errorf("%d×%d pixels, at most %d on a side", cfg.Width, cfg.Height, MaxReferencePhotoSide)
	}
	return nil
}

// isJPEG checks the JPEG start and end markers: enough to refuse what is
// plainly not a photo before it is stored and shown.
func isJPEG(b []byte) bool {
	return len(b) > 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF
}

func (s *DB) putReferencePhoto(ctx context.Context, tx *sql.Tx, id certkiosk.ResidentID, source string, jpeg []byte) error {
	if !isJPEG(jpeg) {
		return certkiosk.E(certkiosk.EINVALID, "error.store.photo_not_jpeg", "reference photo of %s is not a JPEG", id.Masked())
	}
	if len(jpeg) > MaxReferencePhotoBytes {
		return certkiosk.E(certkiosk.EINVALID, "error.store.photo_too_big", "reference photo of %s is %d bytes, at most %d",
			id.Masked(), len(jpeg), MaxReferencePhotoBytes)
	}
	if err := checkPhotoSize(jpeg); err != nil {
		return certkiosk.E(certkiosk.EINVALID, "error.store.photo_size", "reference photo of %s: %v", id.Masked(), err)
	}
	var held string
	err := tx.QueryRowContext(ctx, `SELECT source FROM reference_photo WHERE retiree_id = ?`, string(id)).Scan(&held)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("reference photo of %s: %w", id.Masked(), err)
	}
	if refRank(held) > refRank(source) {
		return nil // a better photo is held (refRank)
	}
	key, err := s.referenceKey(ctx, tx)
	if err != nil {
		return err
	}
	ct, err := encrypt(key.Recipient(), jpeg)
	if err != nil {
		return fmt.Errorf("encrypt reference photo: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO reference_photo (retiree_id, source, sha256, recipient, ciphertext, stored_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (retiree_id) DO UPDATE SET source = excluded.source, sha256 = excluded.sha256,
			recipient = excluded.recipient, ciphertext = excluded.ciphertext, stored_at = excluded.stored_at`,
		string(id), source, sha256Hex(jpeg), key.Recipient().String(), ct, s.now().UTC().Format(timeFormat))
	return err
}

// PutReferencePhoto stores a reference photo for a retiree, encrypted to
// this terminal's reference key, replacing the one held unless that one's
// source ranks higher (refRank: the card's own photo, then the central's,
// then a last pass).
func (s *DB) PutReferencePhoto(ctx context.Context, actor string, id certkiosk.ResidentID, source string, jpeg []byte) error {
	if refRank(source) == 0 {
		return fmt.Errorf("reference photo: unknown source %q", source)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.putReferencePhoto(ctx, tx, id, source, jpeg); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, ActReferencePhoto, id.Masked(), map[string]any{"source": source, "bytes": len(jpeg)})
	})
	if err != nil {
		return fmt.Errorf("store reference photo of %s: %w", id.Masked(), err)
	}
	return nil
}

// ReferencePhotoSHA256 returns the hex SHA-256 of the JPEG held for id and
// its source ("" when none), so a download can skip unchanged photos.
func (s *DB) ReferencePhotoSHA256(ctx context.Context, id certkiosk.ResidentID) (sum, source string, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT sha256, source FROM reference_photo WHERE retiree_id = ?`, string(id)).Scan(&sum, &source)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reference photo of %s: %w", id.Masked(), err)
	}
	return sum, source, nil
}

// ReferencePhoto decrypts the reference photo of id for display, in memory
// only. ok is false when there is none. Each opening is audited: it shows a
// face.
func (s *DB) ReferencePhoto(ctx context.Context, actor string, id certkiosk.ResidentID) (p ReferencePhoto, ok bool, err error) {
	key, err := s.referenceKey(ctx, nil) // first: it may drop photos of a lost key
	if err != nil {
		return p, false, err
	}
	var ct []byte
	var stored string
	err = s.db.QueryRowContext(ctx, `SELECT source, ciphertext, stored_at FROM reference_photo WHERE retiree_id = ?`,
		string(id)).Scan(&p.Source, &ct, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("reference photo of %s: %w", id.Masked(), err)
	}
	r, err := age.Decrypt(bytes.NewReader(ct), key)
	if err == nil {
		p.JPEG, err = io.ReadAll(io.LimitReader(r, MaxReferencePhotoBytes+1))
	}
	if err == nil {
		err = checkPhotoSize(p.JPEG) // one stored before the check: never decoded
	}
	if err != nil {
		// It can never be opened: delete it, so the central's copy is
		// fetched again rather than the retiree going without for good.
		if derr := s.dropUnreadablePhoto(ctx, actor, id, err); derr != nil {
			return p, false, derr
		}
		return p, false, nil
	}
	p.Stored, _ = time.Parse(timeFormat, stored)
	if err := s.Audit(ctx, actor, ActReferenceView, id.Masked(), map[string]any{"source": p.Source}); err != nil {
		return p, false, err
	}
	return p, true, nil
}

// dropUnreadablePhoto deletes a reference photo that does not open, with
// an audit entry naming the retiree masked and the cause.
func (s *DB) dropUnreadablePhoto(ctx context.Context, actor string, id certkiosk.ResidentID, cause error) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reference_photo WHERE retiree_id = ?`, string(id)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, ActReferencePurge, id.Masked(), map[string]any{"unreadable": 1, "reason": cause.Error()})
	})
	if err != nil {
		return fmt.Errorf("drop unreadable reference photo of %s: %w", id.Masked(), err)
	}
	return nil
}

// PurgeReferencePhotos deletes reference photos stored more than the
// reference retention (setting reference_retention_days, default 400) ago.
func (s *DB) PurgeReferencePhotos(ctx context.Context, actor string) (int, error) {
	v, err := s.Setting(ctx, SetReferenceRetentionDays, strconv.Itoa(DefaultReferenceRetentionDays))
	if err != nil {
		return 0, err
	}
	days, err := strconv.Atoi(v)
	if err != nil || days < 0 {
		return 0, fmt.Errorf("purge reference photos: bad retention setting %q", v)
	}
	cutoff := s.now().UTC().Add(-time.Duration(days) * 24 * time.Hour).Format(timeFormat)
	var n int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reference_photo WHERE stored_at < ?`, cutoff)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, ActReferencePurge, "", map[string]any{"deleted": n, "retention_days": days})
	})
	if err != nil {
		return 0, fmt.Errorf("purge reference photos: %w", err)
	}
	return int(n), nil
}

// WantedPhoto is a retiree whose reference photo at the central (by the
// last roster download) is not the one held here, with the SHA-256 wanted.
type WantedPhoto struct {
	ID     certkiosk.ResidentID
	SHA256 string
}

// wantedPhoto is when the central's photo of a retiree (p, the one held)
// is wanted: none held, or not the central's current one, unless the
// card's own photo is held, which no download replaces.
const wantedPhoto = `(p.sha256 IS NULL OR (p.source <> 'card' AND (p.sha256 <> r.photo_sha256 OR p.source <> 'central')))`

// PhotosWanted returns up to limit wanted photos of retirees whose
// identity number comes after after, in identity-number order, so a caller
// pages through them with a cursor. A central photo withdrawn from the
// roster is deleted here at once (DropWithdrawnPhotos).
func (s *DB) PhotosWanted(ctx context.Context, after certkiosk.ResidentID, limit int) ([]WantedPhoto, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.photo_sha256 FROM retiree r
		LEFT JOIN reference_photo p ON p.retiree_id = r.id
		WHERE r.photo_sha256 <> '' AND r.id > ? AND `+wantedPhoto+`
		ORDER BY r.id LIMIT ?`, string(after), limit)
	if err != nil {
		return nil, fmt.Errorf("photos wanted: %w", err)
	}
	defer rows.Close()
	var out []WantedPhoto
	for rows.Next() {
		var w WantedPhoto
		if err := rows.Scan(&w.ID, &w.SHA256); err != nil {
			return nil, fmt.Errorf("photos wanted: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// CountPhotosWanted counts the wanted photos (PhotosWanted).
func (s *DB) CountPhotosWanted(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM retiree r
		LEFT JOIN reference_photo p ON p.retiree_id = r.id
		WHERE r.photo_sha256 <> '' AND `+wantedPhoto).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count photos wanted: %w", err)
	}
	return n, nil
}

// SetPhotoCursor is the identity number a photo download last tried, so
// the next one goes on after it and photos the central cannot give hold
// up none of the others (bookkeeping: not audited, like the sync time).
const SetPhotoCursor Key = "photo_cursor"

// NotePhotoCursor records the photo download's cursor (SetPhotoCursor).
func (s *DB) NotePhotoCursor(ctx context.Context, id certkiosk.ResidentID) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO setting (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, SetPhotoCursor, string(id)); err != nil {
		return fmt.Errorf("note photo cursor: %w", err)
	}
	return nil
}

// DropWithdrawnPhotos deletes central reference photos the central no
// longer lists for their retiree.
func (s *DB) DropWithdrawnPhotos(ctx context.Context, actor string) (int, error) {
	// Load the key first: photos of a lost key are dropped then, and so
	// wanted again by this very download.
	if _, err := s.referenceKey(ctx, nil); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM reference_photo WHERE source = 'central' AND retiree_id IN
			(SELECT id FROM retiree WHERE photo_sha256 = '')`)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit(ctx, tx, actor, ActReferencePurge, "central", map[string]any{"withdrawn": n})
	})
	if err != nil {
		return 0, fmt.Errorf("drop withdrawn photos: %w", err)
	}
	return int(n), nil
}
