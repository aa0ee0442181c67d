package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"certkiosk"
	"certkiosk/store"
)

// PathContacts receives the contact checks and changes staff made at the
// counter (定期检查信息, 亲情联系人). Signed like a batch.
const PathContacts = "/v1/contacts"

// MaxContactChanges caps the changes of one request.
const MaxContactChanges = 500

// MaxContactClockSkew is how far in the future a change may be dated (a
// terminal's clock a little ahead). The newest change wins at the central,
// so one dated years ahead would pin a retiree's contact for good.
const MaxContactClockSkew = 24 * time.Hour

// EarliestContactChange bounds a change's date below: contact changes
// did not exist before it, so an older date is a broken clock.
var EarliestContactChange = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Contact change kinds on the wire (as store names them).
const (
	ContactConfirmed       = store.ContactConfirmed
	ContactCorrected       = store.ContactCorrected
	ContactRelativeSet     = store.ContactRelativeSet
	ContactRelativeRemoved = store.ContactRelativeRemoved
)

// ContactChange is one contact check or change on the wire. The phone and
// address are what the terminal now holds (confirmed or corrected); a
// relative_set carries the relative, recorded with the retiree's consent.
type ContactChange struct {
	ID        string           `json:"id"` // UUID, the idempotency key
	RetireeID string           `json:"retiree_id"`
	StaffID   string           `json:"staff_id"`
	Kind      string           `json:"kind"`
	Phone     string           `json:"phone,omitempty"`
	Address   string           `json:"address,omitempty"`
	Relative  *RelativeContact `json:"relative,omitempty"`
	At        time.Time        `json:"at"`
}

// RelativeContact is a relative's contact on the wire.
type RelativeContact struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Mobile   string `json:"mobile"`
	Consent  bool   `json:"consent"`
}

// ContactsRequest is the body of POST /v1/contacts.
type ContactsRequest struct {
	Changes []ContactChange `json:"changes"`
}

// ContactsResponse answers it: one result per change, in order, with the
// statuses of a batch (accepted, duplicate, conflict, invalid).
type ContactsResponse struct {
	Results []RecordResult `json:"results"`
}

// ContentHash identifies a change's content: the same ID with another hash
// is a conflict.
func (c ContactChange) ContentHash() string {
	b, _ := json.Marshal([]any{c.ID, c.RetireeID, c.StaffID, c.Kind, c.Phone, c.Address, c.Relative,
		c.At.UTC().Format(time.RFC3339Nano)})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Validate checks a change as the central must before storing it: a real
// identity number, a known kind, a valid phone in canonical form, a
// relative with consent and a mobile, bounded text, and a date between
// EarliestContactChange and now plus MaxContactClockSkew.
func (c ContactChange) Validate(now time.Time) error {
	for name, v := range map[string]string{"id": c.ID, "retiree_id": c.RetireeID, "staff_id": c.StaffID, "kind": c.Kind,
		"phone": c.Phone, "address": c.Address} {
		if len(v) > 4*certkiosk.MaxAddressRunes || !utf8.ValidString(v) {
			return fmt.Errorf("field %s too long or not UTF-8", name)
		}
	}
	if c.ID == "" || len(c.ID) > 64 || c.StaffID == "" || c.At.IsZero() {
		return errors.New("id, staff_id and at are required")
	}
	if c.At.After(now.Add(MaxContactClockSkew)) || c.At.Before(EarliestContactChange) {
		return fmt.Errorf("at %s is in the future or before %s; check the terminal's clock",
			c.At.UTC().Format(time.RFC3339), EarliestContactChange.Format("2006-01-02"))
	}
	if _, err := certkiosk.ParseResidentID(c.RetireeID); err != nil || len(c.RetireeID) != 18 {
		return errors.New("retiree_id is not a valid 18-digit identity number")
	}
	switch c.Kind {
	case ContactConfirmed, ContactCorrected:
		if c.Relative != nil {
			return errors.New("a contact check carries no relative")
		}
		if c.Phone != "" {
			if p, _, err := certkiosk.ParsePhone(c.Phone); err != nil || p != c.Phone {
				return errors.New("phone is not a mainland number in canonical form")
			}
		}
		if a, err := certkiosk.CleanAddress(c.Address); err != nil || a != c.Address {
			return errors.New("address is too long or not clean")
		}
	case ContactRelativeSet:
		if c.Relative == nil {
			return errors.New("relative_set without a relative")
		}
		r, err := certkiosk.CleanRelative(certkiosk.Relative{Name: c.Relative.Name, Relation: c.Relative.Relation,
			Mobile: c.Relative.Mobile, Consent: c.Relative.Consent})
		if err != nil || r.Name != c.Relative.Name || r.Mobile != c.Relative.Mobile {
			return fmt.Errorf("relative: %v", certkiosk.ErrorMessageOf(err))
		}
		if c.Phone != "" || c.Address != "" {
			return errors.New("relative_set carries no phone or address of the retiree")
		}
	case ContactRelativeRemoved:
		if c.Relative != nil || c.Phone != "" || c.Address != "" {
			return errors.New("relative_removed carries nothing but the retiree")
		}
	default:
		return fmt.Errorf("unknown kind %q", c.Kind)
	}
	return nil
}

// ToContactChange is the wire form of a stored change.
func ToContactChange(ch store.ContactChange) ContactChange {
	c := ContactChange{ID: ch.ID, RetireeID: string(ch.RetireeID), StaffID: ch.StaffID, Kind: ch.Kind,
		Phone: ch.Phone, Address: ch.Address, At: ch.At.UTC()}
	if ch.Kind == ContactRelativeSet {
		c.Relative = &RelativeContact{Name: ch.Relative.Name, Relation: ch.Relative.Relation,
			Mobile: ch.Relative.Mobile, Consent: true}
	}
	return c
}

// SendContacts posts changes; the answer has one result per change.
func (c *Client) SendContacts(ctx context.Context, chs []ContactChange) (ContactsResponse, error) {
	body, err := json.Marshal(ContactsRequest{Changes: chs})
	if err != nil {
		return ContactsResponse{}, fmt.Errorf("encode contact changes: %w", err)
	}
	var out ContactsResponse
	if err := c.do(ctx, http.MethodPost, PathContacts, body, true, &out); err != nil {
		return out, err
	}
	if len(out.Results) != len(chs) {
		return out, fmt.Errorf("central answered %d results for %d contact changes", len(out.Results), len(chs))
	}
	for i, r := range out.Results {
		if r.ID != chs[i].ID {
			return out, fmt.Errorf("central answered for %s in place of %s", r.ID, chs[i].ID)
		}
	}
	return out, nil
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
func PushContacts(ctx context.Context, db *store.DB, c *Client, actor string) (ContactsResult, error) {
	var res ContactsResult
	after := ""
	for {
		chs, err := db.ContactOutbox(ctx, after, MaxContactChanges)
		if err != nil {
			return res, err
		}
		if len(chs) == 0 {
			return res, nil
		}
		todo := make([]ContactChange, len(chs))
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
			if Acknowledged(r.Status) {
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

// PathPhotos serves a retiree's reference photo: GET /v1/photos/{id},
// signed, answered {"id", "sha256", "jpeg" (base64)}.
const PathPhotos = "/v1/photos/"

// MaxPhotoBytes caps one reference photo (a JPEG), at the central's import
// and at the terminal.
const MaxPhotoBytes = store.MaxReferencePhotoBytes

// PhotoAnswer is the answer of GET /v1/photos/{id}.
type PhotoAnswer struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	JPEG   []byte `json:"jpeg"`
}

// Photo fetches a retiree's reference photo from the central.
func (c *Client) Photo(ctx context.Context, id certkiosk.ResidentID) (PhotoAnswer, error) {
	var out PhotoAnswer
	err := c.do(ctx, http.MethodGet, PathPhotos+string(id), nil, true, &out)
	return out, err
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
func PullPhotos(ctx context.Context, db *store.DB, c *Client, actor string) (res PhotosResult, err error) {
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
			var he *HTTPError
			switch {
			case errors.As(err, &he) && he.Status == http.StatusNotFound:
				res.Missing++
				res.Problems = append(res.Problems, w.ID.Masked()+": the central has no photo")
			case err != nil:
				return res, fmt.Errorf("photo of %s: %w", w.ID.Masked(), err)
			case p.ID != string(w.ID) || len(p.JPEG) > MaxPhotoBytes || photoDigest(p.JPEG) != w.SHA256:
				res.Mismatched++
				res.Problems = append(res.Problems, w.ID.Masked()+": does not match the roster's digest")
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
