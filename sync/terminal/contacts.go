package terminal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"
)

// ToContactChange is the wire form of a stored change.
func ToContactChange(ch store.ContactChange) ksync.ContactChange {
	c := ksync.ContactChange{ID: ch.ID, RetireeID: string(ch.RetireeID), StaffID: ch.StaffID, Kind: ch.Kind,
		Phone: ch.Phone, Address: ch.Address, At: ch.At.UTC()}
	if ch.Kind == ksync.ContactRelativeSet {
		c.Relative = &ksync.RelativeContact{Name: ch.Relative.Name, Relation: ch.Relative.Relation,
			Mobile: ch.Relative.Mobile, Consent: true}
	}
	return c
}

// ContactsResult sums up a contacts upload.
type ContactsResult struct {
	Sent    int `json:"sent"`
	Acked   int `json:"acked"`
	Refused int `json:"refused"`
}

// PushContacts sends every contact change the central has not
// acknowledged, oldest first, and marks the acknowledged ones. A change
// the central refuses (conflict, invalid) stays pending and is reported:
// contact details are few and small, so nothing is lost by keeping it.
func PushContacts(ctx context.Context, db *store.DB, c *ksync.Client, actor string) (ContactsResult, error) {
	var res ContactsResult
	after := ""
	for {
		chs, err := db.ContactOutbox(ctx, after, ksync.MaxContactChanges)
		if err != nil {
			return res, err
		}
		if len(chs) == 0 {
			return res, nil
		}
		todo := make([]ksync.ContactChange, len(chs))
		for i, ch := range chs {
			todo[i] = ToContactChange(ch)
		}
		out, err := c.SendContacts(ctx, todo)
		if err != nil {
			return res, fmt.Errorf("send contact changes: %w", err)
		}
		res.Sent += len(todo)
		var acked []string
		for _, r := range out.Results {
			if ksync.Acknowledged(r.Status) {
				acked = append(acked, r.ID)
			} else {
				res.Refused++
			}
		}
		if err := db.MarkContactsAcked(ctx, actor, acked); err != nil {
			return res, err
		}
		res.Acked += len(acked)
		after = todo[len(todo)-1].ID // refused changes stay pending for the next run
	}
}

// PhotosResult sums up a photo download.
type PhotosResult struct {
	Fetched    int `json:"fetched"`
	Dropped    int `json:"dropped"`
	Missing    int `json:"missing"`    // listed, but the central has none (404)
	Mismatched int `json:"mismatched"` // not the photo the roster lists, or not a JPEG
	Left       int `json:"left"`       // still wanted after this run
	// Problems says which photos were missing or refused, identity
	// numbers masked, for the operator's log.
	Problems []string `json:"problems,omitempty"`
}

// MaxPhotosPerRun bounds the photos asked for in one sync run, so a roster
// with many new photos arrives over several runs without holding one up.
const MaxPhotosPerRun = 200

// photoPage is how many wanted photos are read from the store at a time.
const photoPage = 50

// PullPhotos fetches the reference photos the last roster download listed
// and this terminal does not hold, and stores each encrypted to this
// terminal's own key. It asks for at most MaxPhotosPerRun, going on in
// identity-number order from where the last run stopped (SetPhotoCursor)
// and around, so photos the central cannot give (404) or that do not
// match their listed digest are skipped, counted apart, and hold up none
// of the others. Central photos withdrawn from the roster are deleted.
func PullPhotos(ctx context.Context, db *store.DB, c *ksync.Client, actor string) (res PhotosResult, err error) {
	if res.Dropped, err = db.DropWithdrawnPhotos(ctx, actor); err != nil {
		return res, err
	}
	start, err := db.Setting(ctx, store.SetPhotoCursor, "")
	if err != nil {
		return res, err
	}
	cursor, wrapped, asked := certkiosk.ResidentID(start), start == "", 0
	defer func() {
		if asked > 0 {
			if nerr := db.NotePhotoCursor(context.WithoutCancel(ctx), cursor); nerr != nil && err == nil {
				err = nerr
			}
		}
	}()
pages:
	for asked < MaxPhotosPerRun {
		page, err := db.PhotosWanted(ctx, cursor, min(photoPage, MaxPhotosPerRun-asked))
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			if wrapped {
				break
			}
			cursor, wrapped = "", true // around to the first
			continue
		}
		for _, w := range page {
			if wrapped && start != "" && string(w.ID) > start {
				break pages // every wanted photo has been asked for once
			}
			p, err := c.Photo(ctx, w.ID)
			var he *ksync.HTTPError
			switch {
			case errors.As(err, &he) && he.Status == http.StatusNotFound:
				res.Missing++
				res.Problems = append(res.Problems, w.ID.Masked()+": the central has no photo")
			case err != nil:
				return res, fmt.Errorf("photo of %s: %w", w.ID.Masked(), err)
			case p.ID != string(w.ID) || len(p.JPEG) > ksync.MaxPhotoBytes || photoDigest(p.JPEG) != w.SHA256:
				res.Mismatched++
				res.Problems = append(res.Problems, w.ID.Masked()+": does not match the roster's digest")
			case ksync.CheckPhoto(p.JPEG) != nil: // never a decompression bomb on the kiosk
				res.Mismatched++
				res.Problems = append(res.Problems, w.ID.Masked()+": "+ksync.CheckPhoto(p.JPEG).Error())
			default:
				if err := db.PutReferencePhoto(ctx, actor, w.ID, store.RefCentral, p.JPEG); err != nil {
					if certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
						return res, err
					}
					res.Mismatched++ // not a JPEG
					res.Problems = append(res.Problems, w.ID.Masked()+": not a JPEG")
				} else {
					res.Fetched++
				}
			}
			asked++
			cursor = w.ID
		}
	}
	if res.Left, err = db.CountPhotosWanted(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func photoDigest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}
