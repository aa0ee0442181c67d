package central

import (
	"context"
	"time"

	"certkiosk/sync"
)

// ContactStorage keeps the contact checks and changes terminals send: the
// log of every change, and per retiree the newest contact details and
// relative, which the console shows and the due list uses for reminders.
type ContactStorage interface {
	// PutContacts stores changes from terminal, idempotent per change ID
	// (same content: duplicate; other content: conflict). It returns one
	// result per change, in order. Changes must be valid (Validate).
	PutContacts(ctx context.Context, terminal string, chs []sync.ContactChange, now time.Time) ([]sync.RecordResult, error)
	// RetireeContact returns what terminals reported for a retiree: the
	// newest details and relative, and the changes, newest first.
	// ErrNotFound when no terminal reported anything.
	RetireeContact(ctx context.Context, retireeID string) (RetireeContact, error)
}

// RetireeContact is what the terminals reported about a retiree's contacts.
type RetireeContact struct {
	RetireeID string    `json:"retiree_id"`
	Phone     string    `json:"phone"`   // as last confirmed or corrected
	Address   string    `json:"address"` //
	CheckedAt time.Time `json:"checked_at"`
	// Relative is the relative's contact held now (nil when none or
	// consent was withdrawn).
	Relative *sync.RelativeContact `json:"relative"`
	Changes  []ContactRecord       `json:"changes"`
}

// ContactRecord is one stored change with the terminal that sent it.
type ContactRecord struct {
	sync.ContactChange
	Terminal string    `json:"terminal"`
	Received time.Time `json:"received_at"`
	// Status is ContactAccepted, ContactRefused (kept for the office to
	// see, never folded in) or ContactUndone (by the office); Note says
	// why it was refused or who undid it.
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Statuses of a stored contact change.
const (
	ContactAccepted = "accepted"
	ContactRefused  = "refused"
	ContactUndone   = "undone"
)

// Contact changes are earned: a terminal may check or change a retiree's
// contact only within ContactWindow after it identified the retiree in
// person, that is after a record of its own for that retiree (a pass, or
// a manual review, for which the staff read the ID card) ended; and at
// most MaxContactChangesPerHour changes of a terminal are taken in an
// hour (past that they are refused unstored, only counted in the log).
const (
	ContactWindow            = 24 * time.Hour
	MaxContactChangesPerHour = 120
)

// ErrContactRefused is the per-change error code of a refused change.
const (
	RefusedNotEarned = "no record of this terminal identified the retiree in the 24 hours before the change"
	RefusedTooMany   = "too many contact changes from this terminal in the last hour; retry later"
)
