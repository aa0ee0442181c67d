package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"certkiosk"
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

// Contact change kinds on the wire (the store's names for them; a test in
// sync/terminal holds them equal).
const (
	ContactConfirmed       = "confirmed"
	ContactCorrected       = "corrected"
	ContactRelativeSet     = "relative_set"
	ContactRelativeRemoved = "relative_removed"
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

// PathPhotos serves a retiree's reference photo: GET /v1/photos/{id},
// signed, answered {"id", "sha256", "jpeg" (base64)}.
const PathPhotos = "/v1/photos/"

// MaxPhotoBytes caps one reference photo (a JPEG), at the central's import
// and at the terminal (the store's MaxReferencePhotoBytes; a test in
// sync/terminal holds them equal).
const MaxPhotoBytes = 512 << 10

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
