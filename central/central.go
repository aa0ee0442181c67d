// Package central is the reference central service: it enrolls terminals,
// verifies their signed requests and ingests certification batches
// idempotently, and it holds the central's own rules: which records the
// office reviews and how it decides them, the suspensions and resumptions
// derived from certifications, retirees' contacts (model.go). It speaks
// the wire protocol of package sync. Storage sits behind interfaces
// (Storage, ContactStorage, PhotoStorage, ConsoleStorage) with an SQLite
// and a PostgreSQL implementation that share one test suite (storetest);
// the web console (console) uses them and knows no storage.
package central

import (
	"certkiosk"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"certkiosk/sync"
)

// Terminal is an enrolled (or about to be enrolled) kiosk.
type Terminal struct {
	ID        string
	Name      string
	PublicKey ed25519.PublicKey // nil until enrolled
	Revoked   bool
	// Added is when the office added the terminal (zero for terminals
	// added before it was kept), Enrolled when it first enrolled (zero
	// until then; a re-enrollment, a key rotation, keeps it). No record
	// of the terminal can have ended before either.
	Added, Enrolled time.Time
}

// Stats are the central's counters.
type Stats struct {
	Records    int `json:"records"`
	Duplicates int `json:"duplicates"`
	Conflicts  int `json:"conflicts"`
	Evidence   int `json:"evidence"`
	Terminals  int `json:"terminals"`
	Batches    int `json:"batches"`
	// Flagged counts stored records held for review (not from a camera).
	Flagged int `json:"flagged"`
	// AuditAlarms counts audit heads that did not extend a terminal's
	// acknowledged history.
	AuditAlarms int `json:"audit_alarms"`
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
	// FrameSource is where the judged frames came from ("" on records
	// from before the field); Review is set when the record is held for a
	// person to check because it did not come from a camera.
	FrameSource string `json:"frame_source"`
	Review      bool   `json:"review"`
}

// AuditAlarm is a terminal's audit head that did not extend its history.
type AuditAlarm struct {
	Terminal string    `json:"terminal"`
	Detail   string    `json:"detail"`
	At       time.Time `json:"at"`
}

// Errors storages return: the root package's kinds, so the central and
// the kiosk speak one vocabulary; server.go maps them to wire codes.
var (
	ErrNotFound = &certkiosk.Error{Code: certkiosk.ENOTFOUND, Message: "没有找到", Detail: "not found"}
	ErrExists   = &certkiosk.Error{Code: certkiosk.ECONFLICT, Message: "已经存在", Detail: "already exists"}
	ErrBadToken = &certkiosk.Error{Code: certkiosk.EUNAUTHORIZED, Message: "注册码无效、已使用或已过期",
		Detail: "enrollment token unknown, used or expired"}
	ErrRevokedKey = &certkiosk.Error{Code: certkiosk.EUNAUTHORIZED, Message: "这是终端停用前的密钥，请生成新密钥后再注册",
		Detail: "the key the terminal had when it was revoked: enroll with a new key"}
	ErrNonceReuse = &certkiosk.Error{Code: certkiosk.EUNAUTHORIZED, Message: "请求已被使用过",
		Detail: "nonce already used"}
)

// Storage keeps the central's state. Implementations must make Ingest
// atomic per batch and idempotent per record ID.
type Storage interface {
	// AddTerminal creates a terminal awaiting enrollment with the hash of
	// its one-time token, or gives a not-yet-enrolled one a new token.
	// now is when the office added it (kept from the first call): no
	// record of the terminal can have ended before.
	AddTerminal(ctx context.Context, id, name, tokenHash string, now, expires time.Time) error
	// ReenrollToken gives an enrolled, unrevoked terminal a new one-time
	// token: enrolling with it again hands the terminal the central's
	// current keys (after a rotation) and may replace its public key.
	// ErrNotFound when there is no such enrolled terminal.
	ReenrollToken(ctx context.Context, id, tokenHash string, expires time.Time) error
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
	// Receipt finds terminal's record with this receipt code. Codes are
	// unique per terminal (Ingest refuses a second record with one).
	Receipt(ctx context.Context, terminal, code string) (ReceiptStatus, error)
	// RecordAuditHead checks a terminal's audit head against the last one
	// acknowledged (CheckAuditHead), keeps it when it extends it, and keeps
	// an alarm when it does not.
	RecordAuditHead(ctx context.Context, terminal string, h sync.AuditHead, now time.Time) (sync.AuditAnswer, error)
	// AuditState returns the terminal's acknowledged audit head (0, "" when
	// none) and its alarms.
	AuditState(ctx context.Context, terminal string) (seq int64, hash string, alarms []AuditAlarm, err error)
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

// CheckAuditHead decides whether head h extends the history whose last
// acknowledged head is (seq, hash): h must not be behind it, and one of
// its anchors must be the terminal's entry at seq with that same hash. It
// returns "" when it does, else why not.
func CheckAuditHead(seq int64, hash string, h sync.AuditHead) string {
	if h.Seq < 1 || !hexDigest(h.Hash) || len(h.Anchors) > sync.MaxAuditAnchors {
		return "malformed audit head"
	}
	if seq == 0 {
		return ""
	}
	if h.Seq < seq {
		return fmt.Sprintf("head %d is behind the acknowledged head %d: entries were deleted", h.Seq, seq)
	}
	if h.Seq == seq && h.Hash != hash {
		return fmt.Sprintf("entry %d differs from the acknowledged one: the history was rewritten", seq)
	}
	for _, a := range h.Anchors {
		if a.Seq == seq {
			if a.Hash != hash {
				return fmt.Sprintf("entry %d differs from the acknowledged one: the history was rewritten", seq)
			}
			return ""
		}
	}
	if h.Seq == seq {
		return ""
	}
	return fmt.Sprintf("the terminal did not show its entry %d (the acknowledged head)", seq)
}

func hexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// NeedsReview reports whether a valid record is stored held for review:
// records with no frame source (saved before the field existed) and
// synthetic (load-test) records not from a camera.
func NeedsReview(r sync.Record) bool {
	return r.FrameSource == "" || r.FrameSource == sync.FrameFile || r.FrameSource == sync.FrameDemo
}

// Bounds on a record's ended_at, judged against the time it reached the
// central (a batch's arrival, a bundle's import) and its terminal's first
// enrollment.
const (
	// MaxRecordAhead is how far after its arrival a record may say it
	// ended: the kiosks' clock tolerance, no more.
	MaxRecordAhead = 5 * time.Minute
	// MaxRecordAge is the age past which a record (a late USB bundle, a
	// kiosk whose clock was wrong) is kept but held for review: it
	// changes no pension state until a reviewer accepts it.
	MaxRecordAge = 90 * 24 * time.Hour
)

// CheckRecordTime bounds a valid record's ended_at by the central's
// clock, never by the terminal's: an error (the record is refused) when it
// ended after its arrival plus MaxRecordAhead, or before its terminal was
// enrolled. Only a record made while the terminal was added but not yet
// enrolled (a kiosk set up before it could reach the central) is let
// through from before the enrollment, held for review. A record older
// than MaxRecordAge is held for review (review true).
func CheckRecordTime(r sync.Record, t Terminal, arrival time.Time) (review bool, err error) {
	if r.Ended.After(arrival.Add(MaxRecordAhead)) {
		return false, fmt.Errorf("ended_at %s is after the central's time %s (more than %s ahead): the terminal's clock is wrong",
			r.Ended.UTC().Format(time.RFC3339), arrival.UTC().Format(time.RFC3339), MaxRecordAhead)
	}
	floor := t.Enrolled
	if !t.Added.IsZero() && t.Added.Before(floor) {
		floor = t.Added
	}
	if !floor.IsZero() && r.Ended.Before(floor) {
		return false, fmt.Errorf("ended_at %s is before the terminal was enrolled (%s)",
			r.Ended.UTC().Format(time.RFC3339), t.Enrolled.UTC().Format(time.RFC3339))
	}
	return r.Ended.Before(t.Enrolled) || arrival.Sub(r.Ended) > MaxRecordAge, nil
}
