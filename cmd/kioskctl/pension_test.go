package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/store"
)

// A roster whose due dates are known relative to the day the test runs:
// `roster find --json` must give every retiree the right status and
// suspension month, and `records list --json` the right resumption and
// back pay on a pass that ends a suspension. Expectations are worked out
// here with plain calendar arithmetic, not with the code under test.
func TestPensionStatusAndResumptionAsOfToday(t *testing.T) {
	dir := initData(t)
	now := time.Now().In(certkiosk.China)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	month := func(t time.Time) string { return t.Format("2006-01") }
	firstOfMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	// lastFor gives the certification date whose due date (12 months on)
	// is due. Only 29 February has no such date (a year before it does
	// not exist); cases that would need it are left out that day.
	lastFor := func(due time.Time) time.Time { return due.AddDate(-1, 0, 0) }
	leapDay := func(d time.Time) bool { return d.Month() == time.February && d.Day() == 29 }
	type want struct {
		last, due, status, since string
	}
	cases := map[string]want{}
	// In time: due in about ten months.
	dueInTime := time.Date(today.Year(), today.Month()+10, 10, 0, 0, 0, 0, time.UTC)
	cases["in_time"] = want{day(lastFor(dueInTime)), day(dueInTime), "in_time", ""}
	// Due soon: due within the next 30 days (the due day itself in time).
	dueSoon := today.AddDate(0, 0, 12)
	if leapDay(dueSoon) {
		dueSoon = dueSoon.AddDate(0, 0, 1)
	}
	cases["due_soon"] = want{day(lastFor(dueSoon)), day(dueSoon), "due_soon", ""}
	// Due today: still in time (due soon).
	if !leapDay(today) {
		cases["due_today"] = want{day(lastFor(today)), day(today), "due_soon", ""}
	}
	// Due yesterday: overdue while this month lasts; if yesterday was in
	// the previous month, this month is already suspended.
	yesterday := today.AddDate(0, 0, -1)
	if !leapDay(yesterday) {
		if yesterday.Month() == today.Month() {
			cases["overdue"] = want{day(lastFor(yesterday)), day(yesterday), "overdue", ""}
		} else {
			cases["overdue"] = want{day(lastFor(yesterday)), day(yesterday), "suspended", month(firstOfMonth)}
		}
	}
	// Suspended: due on the 10th two months ago, so suspended from last month.
	dueGone := firstOfMonth.AddDate(0, -2, 9)
	cases["suspended"] = want{day(lastFor(dueGone)), day(dueGone), "suspended", month(firstOfMonth.AddDate(0, -1, 0))}
	// Never certified: no due date known.
	cases["never"] = want{"", "", "unknown", ""}

	var csv strings.Builder
	csv.WriteString("身份证号,姓名,性别,出生日期,待遇类别,上次认证日期,联系电话,住址\n")
	ids := map[string]certkiosk.ResidentID{}
	i := 0
	names := []string{"甲", "乙", "丙", "丁", "戊", "己", "庚"}
	for name, w := range cases {
		i++
		id, err := certkiosk.CompleteResidentID(fmt.Sprintf("11010519500101%02d1", i))
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
		fmt.Fprintf(&csv, "%s,测试%s,男,1950-01-01,企业职工基本养老保险,%s,13812345678,北京市东城区\n", id, names[i], w.last)
	}
	file := filepath.Join(t.TempDir(), "roster.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kioskctl(t, "--data", dir, "roster", "import", file); code != 0 {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	for name, w := range cases {
		code, out, errOut := kioskctl(t, "--data", dir, "roster", "find", string(ids[name]), "--json")
		if code != 0 {
			t.Fatalf("%s: find: %d %q", name, code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v in %q", name, err, out)
		}
		str := func(k string) string {
			if s, ok := got[k].(string); ok {
				return s
			}
			if got[k] != nil {
				t.Fatalf("%s: %s is %T", name, k, got[k])
			}
			return ""
		}
		if str("status") != w.status || str("suspended_since") != w.since || str("due_date") != w.due {
			t.Errorf("%s (last %s): status %q since %q due %q; want %q %q %q", name, w.last,
				str("status"), str("suspended_since"), str("due_date"), w.status, w.since, w.due)
		}
		if _, ok := got["suspended_since"]; !ok {
			t.Errorf("%s: suspended_since missing (want null)", name)
		}
		if str("phone") != "138****5678" || strings.Contains(out, string(ids[name])) {
			t.Errorf("%s: not masked: %s", name, out)
		}
	}

	// A pass today for the suspended retiree ends the suspension: payment
	// resumes next month; last month and this one are paid back, next
	// month or, after the 15th, the month after.
	db, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	c := &certkiosk.Certification{RetireeID: ids["suspended"], StaffID: "A001", Method: certkiosk.MethodBlink,
		Verdict: certkiosk.VerdictPass, FrameSource: certkiosk.FrameCamera, Started: time.Now().Add(-10 * time.Second),
		Ended: time.Now(), Attempt: 1}
	inTime := &certkiosk.Certification{RetireeID: ids["in_time"], StaffID: "A001", Method: certkiosk.MethodBlink,
		Verdict: certkiosk.VerdictPass, FrameSource: certkiosk.FrameCamera, Started: time.Now().Add(-10 * time.Second),
		Ended: time.Now(), Attempt: 1}
	for _, x := range []*certkiosk.Certification{c, inTime} {
		if err := db.SaveCertification(context.Background(), "staff:A001", x, nil); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	resume := month(firstOfMonth.AddDate(0, 1, 0))
	backpay := resume
	if today.Day() > 15 {
		backpay = month(firstOfMonth.AddDate(0, 2, 0))
	}
	code, out, errOut := kioskctl(t, "--data", dir, "records", "list", "--json")
	if code != 0 {
		t.Fatalf("records list: %d %q", code, errOut)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		switch rec["id"] {
		case c.ID:
			seen++
			if rec["resume_month"] != resume || rec["backpay_months"] != 2.0 || rec["backpay_month"] != backpay {
				t.Errorf("pass ending a suspension: %s; want resume %s, 2 months, back pay %s", line, resume, backpay)
			}
		case inTime.ID:
			seen++
			if _, ok := rec["resume_month"]; ok {
				t.Errorf("pass in time carries a resumption: %s", line)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("records list showed %d of the 2 passes: %s", seen, out)
	}
	// After the pass the retiree is in time again.
	_, out, _ = kioskctl(t, "--data", dir, "roster", "find", "--json", string(ids["suspended"]))
	if !strings.Contains(out, `"status":"in_time"`) || !strings.Contains(out, `"suspended_since":null`) {
		t.Fatalf("after the pass: %s", out)
	}
}
