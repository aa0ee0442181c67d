package certkiosk

import (
	"fmt"
	"time"
)

// Date is a civil date with no time of day or zone: a birth date, the day of
// a certification, a due date. Pension rules count in days as printed on
// paper, so dates are compared as dates, never as instants.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// China is the time zone pension dates are counted in: UTC+8, all year
// (no daylight saving), whatever zone the machine is set to.
var China = time.FixedZone("CST", 8*3600)

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses an ISO date, 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD: %w", s, err)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date (unknown / never).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as 2006-01-02 ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.cmp(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.cmp(e) > 0 }

func (d Date) cmp(e Date) int {
	switch {
	case d.Year != e.Year:
		return d.Year - e.Year
	case d.Month != e.Month:
		return int(d.Month) - int(e.Month)
	default:
		return d.Day - e.Day
	}
}

// AddMonths adds n calendar months. A day that does not exist in the target
// month is clamped to that month's last day (2024-02-29 + 12 months =
// 2025-02-28), not rolled into the next month as time.AddDate does: a
// retiree certified on 31 March must not be due in May.
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := d.Day
	if day > last {
		day = last
	}
	return Date{first.Year(), first.Month(), day}
}

// DaysUntil returns the number of days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}
