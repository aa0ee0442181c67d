package certkiosk

import (
	"fmt"
	"time"
)

// The pension rules the certification exists for. Both the kiosk (what the
// counter tells a retiree) and the central (the lists for the payment
// system) use these functions, so the two can never disagree:
//
//   - Due date = last certification + 12 calendar months, clamped to the
//     month's end (DueDate); the due day itself is in time.
//   - A retiree whose due date passes without a certification is suspended
//     (暂停发放) from the first month that starts after the due date.
//   - A suspended retiree who certifies on day D resumes payment in the month
//     after D; the months withheld, from the suspension month through D's
//     month, are paid back (补发) in the resumption month, or one month later
//     when D is after the cut-off day (15th unless the office sets another).
//   - A manual-review case counts as certified on the day it is approved.

// Month is a calendar month, the unit pension payments are made in.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month d falls in.
func MonthOf(d Date) Month { return Month{d.Year, d.Month} }

// ParseMonth parses "2006-01".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("parse month %q: want YYYY-MM: %w", s, err)
	}
	return Month{t.Year(), t.Month()}, nil
}

// IsZero reports whether m is the zero Month (none).
func (m Month) IsZero() bool { return m == Month{} }

// String formats m as 2006-01 ("" for the zero Month).
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year, m.Month)
}

// Chinese formats m as 2026年12月, the way a letter or receipt says it.
func (m Month) Chinese() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月", m.Year, m.Month)
}

// index counts months from year 0 so months can be added and subtracted.
func (m Month) index() int { return m.Year*12 + int(m.Month) - 1 }

func monthAt(i int) Month {
	y, r := i/12, i%12
	if r < 0 { // floor division for years before 0, for completeness
		y, r = y-1, r+12
	}
	return Month{y, time.Month(r + 1)}
}

// Add returns the month n months after m (before, for negative n).
func (m Month) Add(n int) Month { return monthAt(m.index() + n) }

// Sub returns the number of months from o to m: 2027-01 minus 2026-12 is 1.
func (m Month) Sub(o Month) int { return m.index() - o.index() }

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool { return m.index() < o.index() }

// After reports whether m is later than o.
func (m Month) After(o Month) bool { return m.index() > o.index() }

// First returns the first day of m.
func (m Month) First() Date { return Date{m.Year, m.Month, 1} }

// Last returns the last day of m.
func (m Month) Last() Date { return m.Add(1).First().addDays(-1) }

// addDays adds n days to d.
func (d Date) addDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// DefaultBackpayCutoffDay is the last day of a month on which a certification
// still brings the back pay in the resumption month; certified later, the
// back pay arrives one month after that. Local rules vary, so the central
// may push another value to its terminals.
const DefaultBackpayCutoffDay = 15

// SuspensionMonth returns the month a retiree last certified on last is
// suspended from if not certified again: the first month that starts after
// the due date. Zero when last is zero (no certification on record, so no
// due date is known).
func SuspensionMonth(last Date) Month {
	if last.IsZero() {
		return Month{}
	}
	return suspensionAfter(DueDate(last))
}

// suspensionAfter is the first month that starts after a due date.
func suspensionAfter(due Date) Month { return MonthOf(due).Add(1) }

// SuspendedIn tells whether a retiree is suspended in month m, and since
// when. last must be the latest certification dated before m's first day: a
// retiree who certifies during a suspended month is still unpaid for that
// month (payment resumes the month after), so certifications within m do
// not count.
func SuspendedIn(last Date, m Month) (since Month, ok bool) {
	s := SuspensionMonth(last)
	if s.IsZero() || m.Before(s) {
		return Month{}, false
	}
	return s, true
}

// SuspendedSince tells whether a retiree last certified on last is suspended
// on today, and since which month. A certification today ends the
// suspension from next month (see Resumption); pass the certification
// before it to ask whether this month is withheld.
func SuspendedSince(last, today Date) (Month, bool) {
	if last.IsZero() || today.Before(last) {
		return Month{}, false
	}
	return SuspendedIn(last, MonthOf(today))
}

// Resumption tells what a certification on certified means for a retiree
// whose previous certification was last. ok is false when the retiree was
// not suspended on that day (certified in time, or after the due date but
// before the suspension month began). Otherwise payment resumes in the
// month after certified; backpayMonths months were withheld (suspension
// month through certified's month), and they are paid in backpayMonth: the
// resume month, or the month after it when certified's day is after
// cutoffDay. cutoffDay ≤ 0 means DefaultBackpayCutoffDay.
func Resumption(last, certified Date, cutoffDay int) (resume Month, backpayMonths int, backpayMonth Month, ok bool) {
	if cutoffDay <= 0 {
		cutoffDay = DefaultBackpayCutoffDay
	}
	if certified.IsZero() {
		return Month{}, 0, Month{}, false
	}
	since, suspended := SuspendedSince(last, certified)
	if !suspended {
		return Month{}, 0, Month{}, false
	}
	return resumeFrom(since, certified, cutoffDay)
}

// resumeFrom is the one arithmetic of resumption: suspended since month
// since and certified on day, payment resumes the month after day, the
// months since through day's month are paid back, in the resume month or,
// certified after the cut-off day, the month after. ok is false for a day
// before the suspension began.
func resumeFrom(since Month, day Date, cutoffDay int) (resume Month, backpayMonths int, backpayMonth Month, ok bool) {
	if cutoffDay <= 0 {
		cutoffDay = DefaultBackpayCutoffDay
	}
	cm := MonthOf(day)
	if cm.Before(since) {
		return Month{}, 0, Month{}, false
	}
	resume = cm.Add(1)
	backpayMonth = resume
	if day.Day > cutoffDay {
		backpayMonth = resume.Add(1)
	}
	return resume, cm.Sub(since) + 1, backpayMonth, true
}

// PensionStatus is where a retiree's pension stands on a given day, as the
// counter and the console show it.
type PensionStatus string

// Pension states. Overdue is the gap between a missed due date and the start
// of the suspension month: the retiree is still paid, but must hurry.
const (
	PensionInTime    PensionStatus = "in_time"   // certified, due date more than DueSoonDays away
	PensionDueSoon   PensionStatus = "due_soon"  // due within DueSoonDays (the due day included)
	PensionOverdue   PensionStatus = "overdue"   // past the due date, suspension month not yet begun
	PensionSuspended PensionStatus = "suspended" // payment stopped (暂停发放)
	PensionUnknown   PensionStatus = "unknown"   // no certification on record: no due date known
)

// Chinese is the word the counter and console show for s.
func (s PensionStatus) Chinese() string {
	switch s {
	case PensionInTime:
		return "正常"
	case PensionDueSoon:
		return "即将到期"
	case PensionOverdue:
		return "已逾期"
	case PensionSuspended:
		return "暂停发放"
	default:
		return "无认证记录"
	}
}

// Pension is a retiree's pension standing on one day.
type Pension struct {
	Status         PensionStatus
	Due            Date  // next due date (zero when unknown)
	SuspendedSince Month // set when Status is PensionSuspended
}

// SuspendsFrom is the month payment stops in if the due date is missed
// (the zero Month when the due date is unknown).
func (p Pension) SuspendsFrom() Month {
	if p.Due.IsZero() {
		return Month{}
	}
	return suspensionAfter(p.Due)
}

// PensionOn tells where a retiree last certified on last stands on today.
func PensionOn(last, today Date) Pension {
	if last.IsZero() {
		return Pension{Status: PensionUnknown}
	}
	p := Pension{Due: DueDate(last)}
	if since, ok := SuspendedSince(last, today); ok {
		p.Status, p.SuspendedSince = PensionSuspended, since
		return p
	}
	switch days := today.DaysUntil(p.Due); {
	case days < 0:
		p.Status = PensionOverdue
	case days <= DueSoonDays:
		p.Status = PensionDueSoon
	default:
		p.Status = PensionInTime
	}
	return p
}
