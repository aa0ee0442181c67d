package certkiosk

import "testing"

func mo(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func TestMonth(t *testing.T) {
	m := mo("2026-12")
	if m.String() != "2026-12" || m.Chinese() != "2026年12月" {
		t.Errorf("format: %q %q", m.String(), m.Chinese())
	}
	if got := m.Add(1); got != mo("2027-01") {
		t.Errorf("2026-12 + 1 = %s", got)
	}
	if got := m.Add(-12); got != mo("2025-12") {
		t.Errorf("2026-12 - 12 = %s", got)
	}
	if got := mo("2027-02").Sub(m); got != 2 {
		t.Errorf("2027-02 - 2026-12 = %d", got)
	}
	if !m.Before(mo("2027-01")) || m.Before(m) || !mo("2027-01").After(m) {
		t.Error("ordering across the year end")
	}
	if got := mo("2024-02").Last(); got != d("2024-02-29") {
		t.Errorf("last of 2024-02 = %s", got)
	}
	if got := mo("2025-02").Last(); got != d("2025-02-28") {
		t.Errorf("last of 2025-02 = %s", got)
	}
	if got := m.Last(); got != d("2026-12-31") {
		t.Errorf("last of 2026-12 = %s", got)
	}
	if (Month{}).String() != "" || !(Month{}).IsZero() {
		t.Error("zero month")
	}
	for _, bad := range []string{"2026-13", "2026-1", "202612", "", "2026-12-01"} {
		if _, err := ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
}

func TestPensionOn(t *testing.T) {
	tests := []struct {
		last, today string
		want        PensionStatus
		since       string // suspended since, "" if not suspended
		due         string
	}{
		// Due 2026-11-27; suspended from 2026-12.
		{"2025-11-27", "2026-10-27", PensionInTime, "", "2026-11-27"},  // 31 days ahead
		{"2025-11-27", "2026-10-28", PensionDueSoon, "", "2026-11-27"}, // 30 days ahead
		{"2025-11-27", "2026-11-27", PensionDueSoon, "", "2026-11-27"}, // the due day is in time
		{"2025-11-27", "2026-11-28", PensionOverdue, "", "2026-11-27"},
		{"2025-11-27", "2026-11-30", PensionOverdue, "", "2026-11-27"},
		{"2025-11-27", "2026-12-01", PensionSuspended, "2026-12", "2026-11-27"},
		{"2025-11-27", "2027-06-15", PensionSuspended, "2026-12", "2026-11-27"},
		// Due on the last day of December: suspended from January, no overdue gap.
		{"2025-12-31", "2026-12-31", PensionDueSoon, "", "2026-12-31"},
		{"2025-12-31", "2027-01-01", PensionSuspended, "2027-01", "2026-12-31"},
		// Leap day certified: due clamped to 28 February, suspended from March.
		{"2024-02-29", "2025-02-28", PensionDueSoon, "", "2025-02-28"},
		{"2024-02-29", "2025-03-01", PensionSuspended, "2025-03", "2025-02-28"},
		// Due 28 February of a leap year: the 29th is overdue, March suspended.
		{"2023-02-28", "2024-02-29", PensionOverdue, "", "2024-02-28"},
		{"2023-02-28", "2024-03-01", PensionSuspended, "2024-03", "2024-02-28"},
		// 31 March certified: due 31 March, suspended from April.
		{"2025-03-31", "2026-03-31", PensionDueSoon, "", "2026-03-31"},
		{"2025-03-31", "2026-04-01", PensionSuspended, "2026-04", "2026-03-31"},
		// Certified today.
		{"2026-11-30", "2026-11-30", PensionInTime, "", "2027-11-30"},
	}
	for _, tt := range tests {
		p := PensionOn(d(tt.last), d(tt.today))
		if p.Status != tt.want || p.SuspendedSince.String() != tt.since || p.Due != d(tt.due) {
			t.Errorf("PensionOn(%s, %s) = %+v, want %s since %q due %s", tt.last, tt.today, p, tt.want, tt.since, tt.due)
		}
		since, ok := SuspendedSince(d(tt.last), d(tt.today))
		if ok != (tt.want == PensionSuspended) || since.String() != tt.since {
			t.Errorf("SuspendedSince(%s, %s) = %s, %v", tt.last, tt.today, since, ok)
		}
	}
	if p := PensionOn(Date{}, d("2026-11-30")); p.Status != PensionUnknown || !p.Due.IsZero() {
		t.Errorf("never certified: %+v", p)
	}
	if _, ok := SuspendedSince(Date{}, d("2026-11-30")); ok {
		t.Error("never certified counted as suspended")
	}
}

func TestSuspendedIn(t *testing.T) {
	last := d("2025-11-27") // due 2026-11-27
	if _, ok := SuspendedIn(last, mo("2026-11")); ok {
		t.Error("suspended in the due month")
	}
	for _, m := range []string{"2026-12", "2027-01", "2028-05"} {
		if since, ok := SuspendedIn(last, mo(m)); !ok || since != mo("2026-12") {
			t.Errorf("SuspendedIn(%s) = %s, %v", m, since, ok)
		}
	}
	if _, ok := SuspendedIn(Date{}, mo("2026-12")); ok {
		t.Error("no certification counted as suspended")
	}
}

func TestResumption(t *testing.T) {
	tests := []struct {
		last, certified string
		cutoff          int
		ok              bool
		resume          string
		months          int
		backpay         string
	}{
		// Suspended from 2026-12 (due 2026-11-27).
		{"2025-11-27", "2026-11-27", 0, false, "", 0, ""}, // due day: in time
		{"2025-11-27", "2026-11-30", 0, false, "", 0, ""}, // overdue, not yet suspended
		{"2025-11-27", "2026-12-01", 0, true, "2027-01", 1, "2027-01"},
		{"2025-11-27", "2026-12-31", 0, true, "2027-01", 1, "2027-02"}, // after the 15th
		{"2025-11-27", "2027-01-10", 0, true, "2027-02", 2, "2027-02"},
		{"2025-11-27", "2027-01-15", 0, true, "2027-02", 2, "2027-02"}, // the 15th is not after
		{"2025-11-27", "2027-01-16", 0, true, "2027-02", 2, "2027-03"},
		{"2025-11-27", "2027-01-16", 20, true, "2027-02", 2, "2027-02"}, // office cut-off 20
		{"2025-11-27", "2027-01-21", 20, true, "2027-02", 2, "2027-03"},
		// Issue 12's sentence: resumes 2027-01, 2 months paid back in 2027-02.
		{"2025-10-20", "2026-12-20", 0, true, "2027-01", 2, "2027-02"},
		// Due on 31 December, suspended from January; a whole year lapsed.
		{"2025-12-31", "2027-12-20", 0, true, "2028-01", 12, "2028-02"},
		// Leap day: due 2025-02-28, suspended from 2025-03.
		{"2024-02-29", "2025-02-28", 0, false, "", 0, ""},
		{"2024-02-29", "2025-03-01", 0, true, "2025-04", 1, "2025-04"},
		// Never certified before: nothing to resume.
		{"", "2026-12-01", 0, false, "", 0, ""},
	}
	for _, tt := range tests {
		var last Date
		if tt.last != "" {
			last = d(tt.last)
		}
		resume, months, backpay, ok := Resumption(last, d(tt.certified), tt.cutoff)
		if ok != tt.ok || resume.String() != tt.resume || months != tt.months || backpay.String() != tt.backpay {
			t.Errorf("Resumption(%s, %s, %d) = %s, %d, %s, %v; want %s, %d, %s, %v", tt.last, tt.certified, tt.cutoff,
				resume, months, backpay, ok, tt.resume, tt.months, tt.backpay, tt.ok)
		}
	}
}

func TestPensionStatusChinese(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []PensionStatus{PensionInTime, PensionDueSoon, PensionOverdue, PensionSuspended, PensionUnknown} {
		w := s.Chinese()
		if w == "" || seen[w] {
			t.Errorf("%s: word %q empty or shared", s, w)
		}
		seen[w] = true
	}
}

// The month an overdue retiree will be suspended from is the suspension
// month of the rules, whichever way it is asked.
func TestSuspendsFromAgreesWithSuspensionMonth(t *testing.T) {
	today := Date{2026, 11, 30}
	for _, last := range []Date{{2025, 11, 29}, {2025, 11, 30}, {2025, 12, 31}, {2024, 2, 29}, {2025, 10, 31}} {
		p := PensionOn(last, today)
		if got, want := p.SuspendsFrom(), SuspensionMonth(last); got != want || got.IsZero() {
			t.Errorf("last %s: SuspendsFrom %v, SuspensionMonth %v", last, got, want)
		}
	}
	if !(Pension{}).SuspendsFrom().IsZero() {
		t.Error("no due date, yet a suspension month")
	}
}
