package ui

import (
	"context"
	"crypto/ed25519"
	"time"

	"certkiosk"
	"certkiosk/check"
)

// Store is what the screens need of the kiosk's records: the kiosk's
// database (store.DB) in the program, so the screens link no database.
// Who may do what is the store's to enforce (staff changes need an admin,
// liveness settings a supervisor); a screen only shows what the answer was.
type Store interface {
	check.Records
	Staff
	Retirees
	Settings
	Records
}

// Staff is signing in and the staff list.
type Staff interface {
	Login(ctx context.Context, id, pin string) (certkiosk.Staff, error)
	ListStaff(ctx context.Context) ([]certkiosk.Staff, error)
	// AddStaffBy and SetPINBy act for signed-in staff; the store holds who may.
	AddStaffBy(ctx context.Context, by certkiosk.Staff, st certkiosk.Staff, pin string) error
	SetPINBy(ctx context.Context, by certkiosk.Staff, id, pin string) error
}

// Retirees is the roster, the retirees' contacts and reference photos.
type Retirees interface {
	FindRetiree(ctx context.Context, id certkiosk.ResidentID) (certkiosk.Retiree, error)
	// LookupRetiree is FindRetiree by staff, audited.
	LookupRetiree(ctx context.Context, actor string, id certkiosk.ResidentID) (certkiosk.Retiree, error)
	DueList(ctx context.Context, today certkiosk.Date, limit int) ([]certkiosk.DueEntry, error)
	RosterVersion(ctx context.Context) (int64, time.Time, error)
	CheckContact(ctx context.Context, staff string, id certkiosk.ResidentID, phone, address string) (certkiosk.ContactChange, error)
	Relative(ctx context.Context, id certkiosk.ResidentID) (certkiosk.Relative, bool, error)
	SetRelative(ctx context.Context, staff string, id certkiosk.ResidentID, r certkiosk.Relative) (certkiosk.ContactChange, error)
	RemoveRelative(ctx context.Context, staff string, id certkiosk.ResidentID) error
	ReferencePhoto(ctx context.Context, actor string, id certkiosk.ResidentID) (certkiosk.ReferencePhoto, bool, error)
	PutReferencePhoto(ctx context.Context, actor string, id certkiosk.ResidentID, source string, jpeg []byte) error
}

// Settings are the terminal's settings.
type Settings interface {
	Setting(ctx context.Context, key certkiosk.SettingKey, def string) (string, error)
	IntSetting(ctx context.Context, key certkiosk.SettingKey, def int) (int, error)
	// SetIntSettings changes settings as staff by, within their bounds.
	SetIntSettings(ctx context.Context, by certkiosk.Staff, values map[certkiosk.SettingKey]int) error
	TerminalKey(ctx context.Context) (ed25519.PrivateKey, error)
}

// Records are the certifications made here, the outbox and the audit log.
type Records interface {
	ListCertifications(ctx context.Context, f certkiosk.CertFilter) ([]certkiosk.Certification, error)
	DayCounts(ctx context.Context, day certkiosk.Date) (map[certkiosk.Verdict]int, error)
	SyncCounts(ctx context.Context) (certkiosk.SyncCounts, error)
	// ClockOffset is the central's clock minus this kiosk's, as learned
	// at the last sync (known false: never learned).
	ClockOffset(ctx context.Context) (offset time.Duration, at time.Time, known bool, err error)
	Audit(ctx context.Context, actor, action, subject string, detail map[string]any) error
}
