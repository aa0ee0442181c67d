package certkiosk

import "time"

// The kiosk's records as its screens and its check see them. The kiosk's
// storage (store) holds them; the screens (ui) and the check (check) reach
// it through small interfaces of their own that speak these types, so they
// link no database.

// SettingKey names a kiosk setting. A key that holds a secret is never
// written to the audit log or shown (Secret).
type SettingKey string

// Settings the screens read and change.
const (
	SettingTerminalID    SettingKey = "terminal_id"
	SettingRetentionDays SettingKey = "evidence_retention_days"
	SettingBlinks        SettingKey = "liveness_blinks"    // blinks required
	SettingTimeoutSecs   SettingKey = "liveness_timeout_s" // per attempt
	SettingCameraIndex   SettingKey = "camera_index"       // /dev/videoN
	SettingSoundMuted    SettingKey = "sound_muted"        // 1: prompts shown, not spoken
	SettingLastSync      SettingKey = "last_sync"
	settingTerminalKey   SettingKey = "terminal_key" // base64 Ed25519 seed
)

// Defaults of the settings above.
const (
	DefaultRetentionDays = 30 // evidence kept after the central acknowledged its record
	DefaultBlinks        = 2
	DefaultTimeoutSecs   = 10
	DefaultCameraIndex   = 0
)

// Secret reports whether the key holds a secret: its value never appears
// in the audit log or on a screen.
func (k SettingKey) Secret() bool { return k == settingTerminalKey }

// Evidence is a piece of plaintext evidence handed to the store with a
// certification. It lives only in memory: it is encrypted before anything
// is written.
type Evidence struct {
	Kind string // EvidenceBestFrame (JPEG) or EvidenceClip
	Data []byte
}

// Evidence kinds.
const (
	EvidenceBestFrame = "best_frame"
	EvidenceClip      = "clip"
)

// CertFilter selects certifications; zero fields select everything.
type CertFilter struct {
	State   SyncState
	Verdict Verdict
	Since   time.Time // ended at or after
	Until   time.Time // ended before
	Retiree ResidentID
	Limit   int // 0: 1000
}

// DueEntry is a retiree on the due list.
type DueEntry struct {
	Retiree
	Due    Date // zero when never certified
	Status Status
}

// SyncCounts are the outbox's figures for screens and `kioskctl sync`.
type SyncCounts struct {
	Pending int // not yet acknowledged, sendable
	Acked   int
	Refused int // conflicts and invalid records, waiting for staff
}

// ContactChange is one check or change of a retiree's contacts made at the
// counter, queued for the central.
type ContactChange struct {
	ID        string // UUIDv7
	RetireeID ResidentID
	StaffID   string
	Kind      string
	Phone     string // confirmed / corrected: the phone and address now held
	Address   string
	Relative  Relative // relative_set: the relative's contact
	At        time.Time
	Acked     bool
}

// ReferencePhoto is a decrypted reference photo, held in memory only.
type ReferencePhoto struct {
	Source string // RefCard, RefCentral or RefLastPass
	JPEG   []byte
	Stored time.Time
}

// Reference photo sources.
const (
	RefCard     = "card"      // read from the identity card on this terminal's reader (preferred)
	RefCentral  = "central"   // sent by the central with the roster (an ID photo)
	RefLastPass = "last_pass" // this terminal's best frame from the retiree's last pass
)

// MaxClockOffset is how far the kiosk's clock may be from the central's
// and still certify: the central's bound on a record's time and its
// signature window.
const MaxClockOffset = 5 * time.Minute

// ActionCardRead is the audit action of an identity card read on the
// counter's reader (the number masked).
const ActionCardRead = "idcard.read"

// The demo account, shown on the demo sign-in screen.
const (
	DemoStaffID  = "9001"
	DemoStaffPIN = "246810"
)
