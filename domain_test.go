package certkiosk

import "testing"

func d(s string) Date {
	x, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func TestDueDate(t *testing.T) {
	tests := []struct{ last, want string }{
		{"2025-11-27", "2026-11-27"},
		{"2024-02-29", "2025-02-28"}, // leap day: clamp, don't roll into March
		{"2025-03-31", "2026-03-31"},
		{"2025-12-31", "2026-12-31"},
		{"2023-01-01", "2024-01-01"},
	}
	for _, tt := range tests {
		if got := DueDate(d(tt.last)); got != d(tt.want) {
			t.Errorf("DueDate(%s) = %s, want %s", tt.last, got, tt.want)
		}
	}
}

func TestAddMonthsClamps(t *testing.T) {
	if got := d("2025-01-31").AddMonths(1); got != d("2025-02-28") {
		t.Errorf("Jan 31 + 1 = %s", got)
	}
	if got := d("2025-03-31").AddMonths(-1); got != d("2025-02-28") {
		t.Errorf("Mar 31 - 1 = %s", got)
	}
	if got := d("2025-11-15").AddMonths(3); got != d("2026-02-15") {
		t.Errorf("Nov 15 + 3 = %s", got)
	}
}

func TestCycleStatus(t *testing.T) {
	tests := []struct {
		last, today string
		want        Status
	}{
		{"", "2026-11-27", StatusNever},
		{"2026-01-10", "2026-11-27", StatusCurrent},
		{"2025-12-27", "2026-11-27", StatusDueSoon}, // due in 30 days
		{"2025-12-28", "2026-11-27", StatusCurrent}, // due in 31 days
		{"2025-11-27", "2026-11-27", StatusDueSoon}, // due today: still in time
		{"2025-11-26", "2026-11-27", StatusOverdue}, // due yesterday
		{"2020-05-01", "2026-11-27", StatusOverdue}, // years behind
		{"2024-02-29", "2025-02-28", StatusDueSoon}, // clamped due day
		{"2024-02-29", "2025-03-01", StatusOverdue},
	}
	for _, tt := range tests {
		var last Date
		if tt.last != "" {
			last = d(tt.last)
		}
		if got := CycleStatus(last, d(tt.today)); got != tt.want {
			t.Errorf("CycleStatus(%q, %s) = %s, want %s", tt.last, tt.today, got, tt.want)
		}
	}
}

func TestParseMethodAndVerdict(t *testing.T) {
	for _, s := range []string{"blink", "digits"} {
		if m, err := ParseMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseMethod(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "Blink", "face", "digit"} {
		if _, err := ParseMethod(s); ErrorCodeOf(err) != EINVALID {
			t.Errorf("ParseMethod(%q) err = %v, want invalid", s, err)
		}
	}
	for _, s := range []string{"pass", "fail", "manual_review"} {
		if v, err := ParseVerdict(s); err != nil || string(v) != s {
			t.Errorf("ParseVerdict(%q) = %q, %v", s, v, err)
		}
	}
	for _, s := range []string{"", "PASS", "review", "ok"} {
		if _, err := ParseVerdict(s); ErrorCodeOf(err) != EINVALID {
			t.Errorf("ParseVerdict(%q) err = %v, want invalid", s, err)
		}
	}
}

func TestDateParseAndString(t *testing.T) {
	for _, bad := range []string{"2025-02-30", "2025/01/01", "20250101", ""} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if s := d("2025-01-02").String(); s != "2025-01-02" {
		t.Errorf("String = %q", s)
	}
	if s := (Date{}).String(); s != "" {
		t.Errorf("zero String = %q", s)
	}
	if !d("2025-01-02").Before(d("2025-01-03")) || d("2025-01-02").After(d("2025-01-03")) {
		t.Error("Before/After wrong")
	}
}

func TestErrorHelpers(t *testing.T) {
	if ErrorCodeOf(nil) != "" || ErrorMessageOf(nil) != "" {
		t.Error("nil error should have no code and no message")
	}
	e := Errorf(ENOTFOUND, "名册中没有此人", "retiree %s not found", Mask("11010519491231002X"))
	wrapped := wrap(e)
	if ErrorCodeOf(wrapped) != ENOTFOUND || ErrorMessageOf(wrapped) != "名册中没有此人" {
		t.Errorf("code/message lost through wrapping: %q %q", ErrorCodeOf(wrapped), ErrorMessageOf(wrapped))
	}
	plain := errString("disk on fire")
	if ErrorCodeOf(plain) != EINTERNAL || ErrorMessageOf(plain) == "disk on fire" {
		t.Errorf("plain error should be internal with a generic message")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

type wrapper struct{ err error }

func (w wrapper) Error() string { return "context: " + w.err.Error() }
func (w wrapper) Unwrap() error { return w.err }

func wrap(err error) error { return wrapper{err} }
