package central

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"filippo.io/age"

	"certkiosk"
	ksync "certkiosk/sync"
)

// PhotoStorage keeps the reference photos the office imports with the
// roster (a JPEG per retiree), which terminals fetch and show to staff
// beside the live face. Photos are kept sealed (SealPhotos): a face is
// never on the central's disk in clear.
type PhotoStorage interface {
	// PutPhotos stores sealed photos by identity number, replacing those held.
	PutPhotos(ctx context.Context, photos map[string]SealedPhoto) error
	// Photo returns a retiree's sealed photo; ErrNotFound when there is none.
	Photo(ctx context.Context, retireeID string) (SealedPhoto, error)
	// PhotoDigests returns, by identity number, the photo digest a roster
	// import without photos keeps: the photo held's, else the one the
	// live entry lists.
	PhotoDigests(ctx context.Context) (map[string]string, error)
}

// PhotoFetchLog records reference photo fetches (N9): which terminal
// fetched whose photo, when. NotePhotoFetch records one and returns how
// many the terminal fetched since since (this one included).
type PhotoFetchLog interface {
	NotePhotoFetch(ctx context.Context, terminal, retireeID string, at, since time.Time) (int, error)
}

// MaxPhotoFetchesPerDay bounds the photos one terminal fetches in 24 hours:
// past it the central answers 429 and logs an alarm. It lets a new kiosk
// fill its photos over days, and a stolen terminal key take no more.
const MaxPhotoFetchesPerDay = 5000

// SealedPhoto is a reference photo as the central stores it: the JPEG
// age-encrypted to the central's evidence identity, and the SHA-256 of the
// JPEG (the digest roster entries carry).
type SealedPhoto struct {
	SHA256     string
	Ciphertext []byte
}

// SealPhotos encrypts photos to the age recipient (Keys.Recipient), as
// terminals encrypt evidence.
func SealPhotos(recipient string, photos map[string][]byte) (map[string]SealedPhoto, error) {
	rcpt, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, fmt.Errorf("seal photos: %w", err)
	}
	out := make(map[string]SealedPhoto, len(photos))
	for id, b := range photos {
		var ct bytes.Buffer
		w, err := age.Encrypt(&ct, rcpt)
		if err != nil {
			return nil, fmt.Errorf("seal photo %s: %w", certkiosk.Mask(id), err)
		}
		if _, err := w.Write(b); err != nil {
			return nil, fmt.Errorf("seal photo %s: %w", certkiosk.Mask(id), err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("seal photo %s: %w", certkiosk.Mask(id), err)
		}
		out[id] = SealedPhoto{SHA256: PhotoSHA256(b), Ciphertext: ct.Bytes()}
	}
	return out, nil
}

// OpenPhoto decrypts a sealed photo in memory with the current or a
// retired evidence identity, reading at most ksync.MaxPhotoBytes.
func (k *Keys) OpenPhoto(p SealedPhoto) ([]byte, error) {
	rd, err := age.Decrypt(bytes.NewReader(p.Ciphertext), k.Identities()...)
	if err != nil {
		return nil, fmt.Errorf("open photo: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(rd, ksync.MaxPhotoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("open photo: %w", err)
	}
	if len(b) > ksync.MaxPhotoBytes {
		return nil, fmt.Errorf("open photo: larger than %d bytes", ksync.MaxPhotoBytes)
	}
	return b, nil
}

// PhotoSHA256 is the digest roster entries carry for a photo.
func PhotoSHA256(jpeg []byte) string {
	h := sha256.Sum256(jpeg)
	return hex.EncodeToString(h[:])
}

// ReadPhotoDir reads the reference photos of a roster import: JPEG files
// named by identity number (11010519491231002X.jpg, .jpeg, any case). Only
// names that are valid identity numbers are read, through an os.Root, so
// nothing outside dir is ever opened; each file must be a JPEG of at most
// ksync.MaxPhotoBytes. Other files are listed in skipped.
func ReadPhotoDir(dir string) (photos map[string][]byte, skipped []string, err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("photo folder: %w", err)
	}
	defer root.Close()
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return nil, nil, fmt.Errorf("photo folder: %w", err)
	}
	photos = map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		base, ext, _ := strings.Cut(name, ".")
		ext = strings.ToLower(ext)
		id, perr := certkiosk.ParseResidentID(base)
		if !e.Type().IsRegular() || perr != nil || (ext != "jpg" && ext != "jpeg") {
			skipped = append(skipped, maskFileName(name)+": not a regular file named by an 18-digit identity number with .jpg")
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() > ksync.MaxPhotoBytes {
			skipped = append(skipped, fmt.Sprintf("%s: larger than %d bytes", certkiosk.Mask(base)+"."+ext, ksync.MaxPhotoBytes))
			continue
		}
		b, err := root.ReadFile(name)
		if err != nil {
			return nil, nil, photoError(id, err)
		}
		if len(b) > ksync.MaxPhotoBytes || http.DetectContentType(b) != "image/jpeg" {
			skipped = append(skipped, id.Masked()+"."+ext+": not a JPEG")
			continue
		}
		if err := checkDecodes(b); err != nil {
			skipped = append(skipped, id.Masked()+"."+ext+": "+err.Error())
			continue
		}
		if _, dup := photos[string(id)]; dup {
			skipped = append(skipped, id.Masked()+"."+ext+": a second photo of the same person")
			continue
		}
		photos[string(id)] = b
	}
	return photos, skipped, nil
}

// maskFileName masks a file name that holds digits: it is most often an
// identity number with a typo, which must not appear whole in a listing.
func maskFileName(name string) string {
	if !strings.ContainsAny(name, "0123456789") {
		return name
	}
	base, ext, dot := strings.Cut(name, ".")
	if !dot {
		return certkiosk.Mask(name)
	}
	return certkiosk.Mask(base) + "." + ext
}

// photoError reports a photo that could not be read without its file
// name, which is the person's identity number: a *PathError (or any
// error) quoting it is cut down to its cause, and what is left masked.
func photoError(id certkiosk.ResidentID, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("photo %s: %s", id.Masked(), MaskIDs(err.Error()))
}

// checkDecodes checks a photo's dimensions from its header, then decodes
// it (bounded by them): a photo the import takes is a JPEG a kiosk can
// show, and no decompression bomb.
func checkDecodes(b []byte) error {
	if err := ksync.CheckPhoto(b); err != nil {
		return err
	}
	if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
		return fmt.Errorf("not a JPEG that decodes: %v", err)
	}
	return nil
}
