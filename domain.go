// Package certkiosk holds the domain of the pension entitlement
// certification kiosk (养老金领取资格认证): identity numbers, retirees,
// certification methods and verdicts, and the 12-month cycle. It imports
// nothing of the project's own; store, liveness, sync and ui speak its types.
package certkiosk

import "fmt"

// Method is the liveness challenge a certification used.
type Method string

// Liveness challenges.
const (
	MethodBlink  Method = "blink"  // 眨眼
	MethodDigits Method = "digits" // 读数
)

// Methods lists every method, default first.
var Methods = []Method{MethodBlink, MethodDigits}

// ParseMethod validates a method name.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", Errorf(EINVALID, "认证方式无效", "unknown method %q (want blink or digits)", s)
}

// Verdict is the outcome of one certification attempt.
type Verdict string

// Verdicts.
const (
	VerdictPass         Verdict = "pass"
	VerdictFail         Verdict = "fail"
	VerdictManualReview Verdict = "manual_review" // staff sent it to a person
)

// Verdicts lists every verdict.
var Verdicts = []Verdict{VerdictPass, VerdictFail, VerdictManualReview}

// ParseVerdict validates a verdict name.
func ParseVerdict(s string) (Verdict, error) {
	for _, v := range Verdicts {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(EINVALID, "认证结果无效", "unknown verdict %q", s)
}

// CycleMonths is the length of the certification cycle: a retiree must be
// certified again within 12 months of the last certification.
const CycleMonths = 12

// DueSoonDays is how many days before the due date a retiree is listed as
// due soon, so staff can call them in.
const DueSoonDays = 30

// DueDate returns the day a retiree certified on last must be certified
// again by: the same day 12 months later (clamped to the month's end).
func DueDate(last Date) Date { return last.AddMonths(CycleMonths) }

// Status is where a retiree stands in the cycle on a given day.
type Status string

// Cycle states.
const (
	StatusNever   Status = "never"    // no certification on record
	StatusCurrent Status = "current"  // certified, due date more than DueSoonDays away
	StatusDueSoon Status = "due_soon" // due within DueSoonDays
	StatusOverdue Status = "overdue"  // due date has passed: pension may be suspended
)

// CycleStatus tells where a retiree certified on last stands on today. The
// due day itself still counts as in time; the day after is overdue.
func CycleStatus(last, today Date) Status {
	if last.IsZero() {
		return StatusNever
	}
	due := DueDate(last)
	switch days := today.DaysUntil(due); {
	case days < 0:
		return StatusOverdue
	case days <= DueSoonDays:
		return StatusDueSoon
	default:
		return StatusCurrent
	}
}

// Retiree is one person on the centre's roster.
type Retiree struct {
	ID       ResidentID
	Name     string
	Female   bool
	Birth    Date
	Category string // 待遇类别, e.g. 企业职工基本养老保险
	LastCert Date   // zero when never certified
	Phone    string
	Address  string
	// Pension and SuspendedSince are the standing the central sent with
	// the roster ("" and zero when it sent none); see Retiree.PensionOn.
	Pension        PensionStatus
	SuspendedSince Month
	// ContactChecked is the day staff last confirmed or corrected the
	// phone and address with the retiree (zero when never).
	ContactChecked Date
}

// String never shows the full identity number.
func (r Retiree) String() string { return fmt.Sprintf("%s (%s)", r.Name, r.ID.Masked()) }
