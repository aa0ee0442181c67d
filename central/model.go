// The central's own rules for what the office decides: the review queue
// (which records a person must decide, and the decisions), the pension
// standing the central derives from certifications (suspensions and
// resumptions, the lists for the payment system), and the office's
// accounts and audit trail. The web console shows them; the storage keeps
// them; neither knows the other.

package central

import (
	"context"
	"errors"
	"sort"
	"time"

	"certkiosk"
)

// China has one time zone and no daylight saving time: a certification's
// day is its end time there, whatever the server's zone.
var China = time.FixedZone("CST", 8*3600)

// DayOf is the civil day of t in China.
func DayOf(t time.Time) certkiosk.Date { return certkiosk.DateOf(t.In(China)) }

// Roles of console accounts. An admin can do what a reviewer can, and
// manage terminals and read the audit trail.
const (
	RoleReviewer = "reviewer"
	RoleAdmin    = "admin"
)

// User is a console account (never with its PIN hash).
type User struct {
	ID          string
	Name        string
	Role        string
	Failed      int       // wrong PINs in a row
	LockedUntil time.Time // zero when not locked
	Disabled    bool      // cannot sign in; its sessions end
	PINChanged  time.Time // sessions from before it end
}

// AuditEntry is one line of the console's audit trail.
type AuditEntry struct {
	Seq     int64
	At      time.Time
	User    string
	Action  string // login, login_failed, logout, view_face, export, decide, view_retiree, terminal_*
	Subject string // record ID, list name, retiree (masked), terminal
	Detail  string
}

// AuditFilter selects console audit entries: of one action and one user
// ("" for any), older than entry Before (0: from the newest).
type AuditFilter struct {
	Action, User string
	Before       int64
}

// Case is a record held for a person to decide: sent to manual review by
// the counter, the last of repeated failed attempts, or not from a camera.
type Case struct {
	RecordID  string
	RetireeID string
	Terminal  string
	StaffID   string
	Method    string
	Verdict   string
	Reason    string
	Metrics   string // JSON as the terminal sent it
	Attempt   int
	Ended     time.Time
	Review    bool // held because the frames did not come from a camera
	Source    string
	// SpeechCheck is which read-digits check ran: lips (no microphone at
	// the counter) or lips_voice; "" for blink and older records.
	SpeechCheck string
	HasFrame    bool
	Decision    string // "", approve, reject
	DecReason   string
	DecidedBy   string
	DecidedAt   time.Time
}

// Decisions on a case.
const (
	Approve = "approve"
	Reject  = "reject"
)

// RepeatedFailures is the attempt at which a failed check goes to the
// queue: the kiosk offers three attempts, so a third failure is a person
// the machine could not certify.
const RepeatedFailures = 3

// IsCase tells whether a stored record goes to the review queue.
func IsCase(verdict string, review bool, attempt int) bool {
	return verdict == string(certkiosk.VerdictManualReview) || review ||
		verdict == string(certkiosk.VerdictFail) && attempt >= RepeatedFailures
}

// Retiree is a roster entry with its pension standing.
type Retiree struct {
	ID             string
	Name           string
	Female         bool
	Birth          string
	Category       string
	Phone          string
	Address        string
	Relative       certkiosk.Relative // zero when none was recorded
	RosterLastCert string
	Deleted        bool
	// Last is the latest certification the central knows (zero: none).
	Last certkiosk.Date
}

// Pension is r's standing on today.
func (r Retiree) Pension(today certkiosk.Date) certkiosk.Pension {
	return certkiosk.PensionOn(r.Last, today)
}

// Event is one certification-relevant fact in a retiree's history.
type Event struct {
	At       time.Time
	Day      certkiosk.Date
	Kind     string // record, roster
	RecordID string
	Terminal string
	StaffID  string
	Verdict  string
	Reason   string
	Decision string
	Counts   bool // counts as a certification (on Day)
}

// Episode is one suspension: months Since…Until withheld, ended by the
// certification on Certified (payment resumes the month after).
type Episode struct {
	Since     certkiosk.Month
	Until     certkiosk.Month
	Resume    certkiosk.Month
	Last      certkiosk.Date // the certification before the suspension
	Certified certkiosk.Date
}

// Backpay is how many months are paid back and in which month, by the
// root package's rule (the cut-off day is the office's setting).
func (e Episode) Backpay(cutoffDay int) (months int, month certkiosk.Month) {
	_, months, month, _ = certkiosk.Resumption(e.Last, e.Certified, cutoffDay)
	return months, month
}

// Derive folds a retiree's certification days (any order, duplicates
// allowed) into the latest day and the suspensions that certifications
// ended, using the pension rules of the root package.
func Derive(days []certkiosk.Date) (last certkiosk.Date, eps []Episode) {
	ds := append([]certkiosk.Date(nil), days...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Before(ds[j]) })
	for _, d := range ds {
		if d.IsZero() || d == last {
			continue
		}
		if resume, _, _, ok := certkiosk.Resumption(last, d, 0); ok {
			eps = append(eps, Episode{Since: certkiosk.SuspensionMonth(last), Until: certkiosk.MonthOf(d), Resume: resume, Last: last, Certified: d})
		}
		last = d
	}
	return last, eps
}

// Row is one line of a list for the payment system.
type Row struct {
	ID        string
	Name      string
	Phone     string
	Address   string
	Relative  certkiosk.Relative
	Last      certkiosk.Date
	Due       certkiosk.Date
	Since     certkiosk.Month
	Certified certkiosk.Date
	Resume    certkiosk.Month
}

// TerminalInfo is a terminal as the terminals page shows it.
type TerminalInfo struct {
	ID       string
	Name     string
	Enrolled bool
	Revoked  bool
	LastSeen time.Time // last batch received (zero: never)
	Version  string    // as the terminal last reported ("" unknown)
	Pending  int       // records pending by its last report (-1 unknown)
	Records  int
}

// DayCount is the certifications of one day (and terminal) by verdict.
type DayCount struct {
	Day      certkiosk.Date
	Terminal string
	Pass     int
	Fail     int
	Manual   int
}

// Counts are the retirees in each pension state on a day.
type Counts struct {
	Retirees  int
	DueSoon   int
	Overdue   int
	Suspended int
	OpenCases int
}

// ErrDecided is returned when a case that was already decided is
// decided again.
var ErrDecided = errors.New("case already decided")

// ConsoleStorage is what the office's web console needs from the
// central's storage.
type ConsoleStorage interface {
	Storage
	ContactStorage

	AddConsoleUser(ctx context.Context, u User, pinHash string, now time.Time) error
	// ConsoleUser returns the account and its PIN hash.
	ConsoleUser(ctx context.Context, id string) (User, string, error)
	// SetConsoleLogin records the wrong-PIN count and lock of an account.
	SetConsoleLogin(ctx context.Context, id string, failed int, lockedUntil time.Time) error
	// ConsoleLoginFailed counts one wrong PIN atomically; the max-th in a
	// row locks the account until lockUntil (and resets the count). It
	// reports whether this one locked it.
	ConsoleLoginFailed(ctx context.Context, id string, max int, lockUntil time.Time) (bool, error)
	ConsoleAudit(ctx context.Context, e AuditEntry) error
	// UndoContactChange takes back an accepted contact change of a
	// terminal (user did it at now) and returns its retiree; ErrNotFound
	// when there is no such accepted change.
	UndoContactChange(ctx context.Context, id, user string, now time.Time) (string, error)
	// ConsoleAuditLog returns the entries f selects, newest first.
	ConsoleAuditLog(ctx context.Context, f AuditFilter, limit int) ([]AuditEntry, error)

	// RefreshPension folds records, roster changes and decisions not yet
	// seen into the pension state and the review queue; it returns how
	// many retirees it recomputed.
	RefreshPension(ctx context.Context) (int, error)
	OpenCases(ctx context.Context, limit int) ([]Case, error)
	Case(ctx context.Context, recordID string) (Case, error)
	// RecordsOf lists a retiree's records, newest first.
	RecordsOf(ctx context.Context, retireeID string, limit int) ([]Case, error)
	Evidence(ctx context.Context, recordID, kind string) ([]byte, error)
	// Decide closes an open case; an approval also becomes the retiree's
	// certification on day and is published with the next roster version.
	Decide(ctx context.Context, recordID, decision, reason, user string, at time.Time, day certkiosk.Date) error

	Retiree(ctx context.Context, id string) (Retiree, error)
	FindRetirees(ctx context.Context, query string, limit int) ([]Retiree, error)
	Episodes(ctx context.Context, retireeID string) ([]Episode, error)

	// The lists, whole (limit 0) or their first limit rows, one row at a
	// time to fn (which must not keep the *Row).
	Suspensions(ctx context.Context, m certkiosk.Month, limit int, fn func(*Row) error) error
	Resumptions(ctx context.Context, m certkiosk.Month, limit int, fn func(*Row) error) error
	Due(ctx context.Context, from, to certkiosk.Date, limit int, fn func(*Row) error) error
	// ListCounts tells how many rows each list has.
	ListCounts(ctx context.Context, m certkiosk.Month, from, to certkiosk.Date) (suspensions, resumptions, due int, err error)

	Terminals(ctx context.Context) ([]TerminalInfo, error)
	// EnableTerminal lets a revoked terminal enroll again with a new
	// one-time token and a new key (never the one it had).
	EnableTerminal(ctx context.Context, id, tokenHash string, expires time.Time) error
	// SetConsoleUserDisabled disables or enables a console account;
	// SetConsolePIN gives it a new PIN. Either ends its sessions.
	SetConsoleUserDisabled(ctx context.Context, id string, disabled bool) error
	SetConsolePIN(ctx context.Context, id, pinHash string, now time.Time) error
	// ReportTerminal keeps what a terminal said about itself (pending -1:
	// not said).
	ReportTerminal(ctx context.Context, terminal, version string, pending int, at time.Time) error
	Daily(ctx context.Context, from, to time.Time) ([]DayCount, error)
	PensionCounts(ctx context.Context, today certkiosk.Date) (Counts, error)
}

// AddDays returns d moved by n days.
func AddDays(d certkiosk.Date, n int) certkiosk.Date {
	return certkiosk.DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}
