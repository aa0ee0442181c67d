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
}
