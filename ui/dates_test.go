package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

// pinnedDates are days that pension rules and month arithmetic get wrong:
// the last day of a month, 31 December, 29 February of a leap year, the
// 15th and the 16th (either side of a cut-off), and the 1st.
var pinnedDates = []string{"2027-04-30", "2026-12-31", "2024-02-29", "2025-06-15", "2025-06-16", "2027-03-01"}

// The kiosk pinned to each of those days: the demo roster is made for that
// day, every card says where the pension stands on that day by the rules,
// and a pass that day says when the next one is due, counted from that day.
func TestScreensAtPinnedDates(t *testing.T) {
	for _, date := range pinnedDates {
		t.Run(date, func(t *testing.T) {
			d, err := time.ParseInLocation(time.DateOnly, date, certkiosk.China)
			if err != nil {
				t.Fatal(err)
			}
			now := d.Add(10 * time.Hour)
			today := certkiosk.DateOf(now)
			ctx := context.Background()
			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "data"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
			db.SetClock(func() time.Time { return now })
			if err := store.SeedDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
			if err := UseLanguage("zh"); err != nil {
				t.Fatal(err)
			}
			k := NewKiosk(test.NewTempApp(t), db, Options{Demo: true, Now: func() time.Time { return now }})
			t.Cleanup(k.Window.Close)
			k.opt.ReceiptDir = filepath.Join(t.TempDir(), "receipts")
			k.Login(store.DemoStaffID, store.DemoStaffPIN)
			if k.Screen() != "home" {
				t.Fatalf("sign-in: %s", k.Screen())
			}

			// The demo roster is made for the pinned day: every
			// standing the rules know appears, and nobody was certified
			// after it.
			ids, err := db.ListRetireeIDs(ctx, 1000)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[certkiosk.PensionStatus]int{}
			var current certkiosk.Retiree
			for i, id := range ids {
				r, err := db.FindRetiree(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if r.LastCert.After(today) {
					t.Fatalf("%s certified on %s, after the pinned day", r.ID.Masked(), r.LastCert)
				}
				p := r.PensionOn(today)
				seen[p.Status]++
				if p.Status == certkiosk.PensionInTime && current.ID == "" {
					current = r
				}
				if i%10 != 0 { // every tenth card is opened
					continue
				}
				k.Find(string(r.ID))
				if k.Screen() != "retiree" {
					t.Fatalf("card of %s: %s (%q)", r.ID.Masked(), k.Screen(), k.SearchMessage())
				}
				if want := PensionText(p); !strings.Contains(screenText(k), want) {
					t.Errorf("card of %s on %s: want %q on it: %s", r.ID.Masked(), today, want, screenText(k))
				}
				k.ShowHome()
			}
			for _, s := range []certkiosk.PensionStatus{certkiosk.PensionInTime, certkiosk.PensionSuspended, certkiosk.PensionUnknown} {
				if seen[s] == 0 {
					t.Errorf("no demo retiree is %q on %s: %v", s, today, seen)
				}
			}

			// A pass on the pinned day: the next one is due a cycle later.
			k.opt.Checker = station{updates: []check.Update{{Done: true, Result: check.Result{
				Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`), Best: testFrameJPEG(),
				Started: now.Add(-6 * time.Second), Ended: now}}}}
			k.Find(string(current.ID))
			k.StartCertification(certkiosk.MethodBlink)
			k.follows.Wait()
			if k.Screen() != "pass" {
				t.Fatalf("pass on %s: %s: %s", today, k.Screen(), screenText(k))
			}
			due := certkiosk.DueDate(today).String()
			if !strings.Contains(screenText(k), due) {
				t.Errorf("pass on %s: want the next due day %s on it: %s", today, due, screenText(k))
			}
		})
	}
}
