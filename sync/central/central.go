// Package central is the reference central service: it enrolls terminals,
// verifies their signed requests and ingests certification batches
// idempotently. Storage sits behind one interface with an SQLite and a
// PostgreSQL implementation that share one test suite (storetest).
package central

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"certkiosk/sync"
)

// Terminal is an enrolled (or about to be enrolled) kiosk.
type Terminal struct {
	ID        string
	Name      string
	PublicKey ed25519.PublicKey // nil until enrolled
	Revoked   bool
}

// Stats are the central's counters.
type Stats struct {
	Records    int `json:"records"`
	Duplicates int `json:"duplicates"`
	Conflicts  int `json:"conflicts"`
	Evidence   int `json:"evidence"`
	Terminals  int `json:"terminals"`
	Batches    int `json:"batches"`
}

// ReceiptStatus answers "is this receipt genuine, and what does it say".
type ReceiptStatus struct {
	Receipt   string    `json:"receipt"`
	RecordID  string    `json:"record_id"`
	Terminal  string    `json:"terminal"`
	Verdict   string    `json:"verdict"`
	Retiree   string    `json:"retiree"` // masked
	Ended     time.Time `json:"ended_at"`
	Synthetic bool      `json:"synthetic"`
}

// Errors storages return.
var (
	ErrNotFound   = errors.New("not found")
	ErrExists     = errors.New("already exists")
	ErrBadToken   = errors.New("enrollment token unknown, used or expired")
	ErrNonceReuse = errors.New("nonce already used")
)

// Storage keeps the central's state. Implementations must make Ingest
// atomic per batch and idempotent per record ID.
type Storage interface {
	// AddTerminal creates a terminal awaiting enrollment with the hash of
	// its one-time token, or gives a not-yet-enrolled one a new token.
	AddTerminal(ctx context.Context, id, name, tokenHash string, expires time.Time) error
	// Enroll uses a token once, binding the public key to its terminal.
	Enroll(ctx context.Context, tokenHash string, pub ed25519.PublicKey, now time.Time) (Terminal, error)
	Terminal(ctx context.Context, id string) (Terminal, error)
	RevokeTerminal(ctx context.Context, id string) error
	// UseNonce records a request nonce; ErrNonceReuse if the terminal used
	// it before. Nonces older than the skew window may be forgotten.
	UseNonce(ctx context.Context, terminal, nonce string, at time.Time) error
	// Ingest stores a batch: one result per record, in order.
	Ingest(ctx context.Context, terminal string, recs []sync.Record, now time.Time) ([]sync.RecordResult, error)
	Stats(ctx context.Context) (Stats, error)
	Receipt(ctx context.Context, code string) (ReceiptStatus, error)
	// PutRoster replaces the roster with rs as one new version: changed and
	// new rows and the removal of missing ones carry the new version number.
	// Identical re-imports create no version. It returns the current version.
	PutRoster(ctx context.Context, rs []sync.RosterEntry) (version int64, changed, deleted int, err error)
	// RosterSince returns what changed after version since, or the whole
	// roster when since is 0 or not a version this central made.
	RosterSince(ctx context.Context, since int64) (sync.RosterUpdate, error)
	// EachEvidence calls fn for every evidence object received.
	EachEvidence(ctx context.Context, fn func(recordID, kind string, ciphertext []byte) error) error
	Close() error
}
