//go:build perf

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"certkiosk"
	"certkiosk/store"

	"fyne.io/fyne/v2"
)

// soakEnv, set with perfEnv=N, makes the measuring kiosk run a day at the
// counter instead (scripts/soak.sh, `make soak`): N checks back to back on
// the demo camera, blink and read-digits in turn, every fifth made to fail
// (five blinks in five seconds), receipts printed (saved) and contacts
// confirmed after passes, and a "soak: …" line of figures at the end.
const soakEnv = "CERTKIOSK_SOAK"

// soakRosterEnv=N makes the soak cycle through the first N retirees of the
// demo roster instead of all of them, so that retirees return (with their
// last pass as a reference photo) early in a short soak.
const soakRosterEnv = "CERTKIOSK_SOAK_ROSTER"

// soakFigures are read after the sign-in settles, after check 20 and at
// the end.
type soakFigures struct {
	rssMB      float64
	goroutines int
	fds        int
}

func soakNow() soakFigures {
	runtime.GC()
	return soakFigures{rssMB: mb(rssKB()), goroutines: runtime.NumGoroutine(), fds: openFDs()}
}

// openFDs counts the process's open file descriptors.
func openFDs() int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(fds)
}

func (ka *kioskApp) soak(ctx context.Context, checks int) {
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	ui := func(f func()) { fyne.DoAndWait(f) }
	screen := func() (s string) { ui(func() { s = ka.kiosk.Screen() }); return s }
	if !sleep(perfSettle) {
		return
	}
	signin := mb(rssKB())
	ok := false
	ui(func() {
		ka.kiosk.Login(store.DemoStaffID, store.DemoStaffPIN)
		ok = ka.kiosk.Screen() == "home"
	})
	if !ok {
		fmt.Println("soak: error: demo sign-in failed")
		return
	}
	if !sleep(perfSettle) { // the landmark model loads at sign-in
		return
	}
	start := soakNow()
	fmt.Printf("soak: signin rss_mb=%.1f model_mb=%.1f goroutines=%d fds=%d\n", signin, start.rssMB-signin, start.goroutines, start.fds)
	size := store.DemoRosterSize
	if n, err := strconv.Atoi(os.Getenv(soakRosterEnv)); err == nil && n > 0 && n < size {
		size = n
	}
	roster, err := ka.db.ListRetireeIDs(ctx, size)
	if err != nil || len(roster) == 0 {
		fmt.Printf("soak: error: the demo roster: %v\n", err)
		return
	}
	supervisor := certkiosk.Staff{ID: store.DemoStaffID, Role: certkiosk.RoleSupervisor}
	setStrict := func(strict bool) error {
		blinks, secs := certkiosk.DefaultBlinks, certkiosk.DefaultTimeoutSecs
		if strict {
			blinks, secs = 5, 5
		}
		return ka.db.SetIntSettings(ctx, supervisor, map[certkiosk.SettingKey]int{
			certkiosk.SettingBlinks: blinks, certkiosk.SettingTimeoutSecs: secs})
	}
	var after20 soakFigures
	var peak float64
	var atPeak runtime.MemStats
	results := map[string]int{}
	for i := 1; i <= checks; i++ {
		method := certkiosk.MethodBlink
		if i%2 == 0 {
			method = certkiosk.MethodDigits
		}
		strict := i%5 == 0
		if err := setStrict(strict); err != nil {
			fmt.Printf("soak: error: settings: %v\n", err)
			return
		}
		var got string
		ui(func() {
			// Staff type the next retiree's number (the due list runs out
			// after a hundred passes or so; the roster does not).
			ka.kiosk.ShowHome()
			ka.kiosk.Find(string(roster[(i-1)%len(roster)]))
			ka.kiosk.StartCertification(method)
			got = ka.kiosk.Screen()
		})
		if got != "certify" {
			fmt.Printf("soak: error: check %d did not start (screen %q)\n", i, got)
			return
		}
		began := time.Now()
		for got == "certify" {
			if !sleep(200 * time.Millisecond) {
				return
			}
			if r := mb(rssKB()); r > peak {
				// Where the peak is: the Go heap's live and idle
				// (not yet returned) spans, or outside Go.
				peak = r
				runtime.ReadMemStats(&atPeak)
				heapProfile("soak-peak")
			}
			got = screen()
			if time.Since(began) > 2*time.Minute {
				fmt.Printf("soak: error: check %d still running after 2 minutes\n", i)
				return
			}
		}
		if got == "reference-ask" { // the retiree's last pass is the reference photo now
			ui(func() { ka.kiosk.Press("reference.yes") })
			got = screen()
		}
		results[got]++
		if got == "pass" {
			ui(func() { ka.kiosk.Press("result.print") })
			if i%3 == 0 {
				ui(func() {
					if ka.kiosk.Press("result.contacts") {
						ka.kiosk.Press("contact.confirm")
					}
				})
			}
		}
		// The retiree leaves, as at the counter: from a pass by 「完成，返回首页」,
		// otherwise back through their card, which ends the visit (and
		// with it the count of attempts).
		ui(func() {
			if !ka.kiosk.Press("result.home") {
				ka.kiosk.Press("card.back")
				ka.kiosk.Press("card.back")
			}
			if ka.kiosk.Screen() != "home" {
				ka.kiosk.ShowHome()
			}
		})
		fmt.Printf("soak: check %d method=%s strict=%v result=%s seconds=%.1f %s\n",
			i, method, strict, got, time.Since(began).Seconds(), memLine())
		if i == 20 {
			// As at the end: on the home screen once it has settled, not
			// while it is still being drawn (that moment read 4–6 MB low,
			// so the growth read high: 30-check runs +7.7 and +10.0 MB).
			if !sleep(perfSettle) {
				return
			}
			after20 = soakNow()
			fmt.Printf("soak: after check 20, settled: rss_mb=%.1f\n", after20.rssMB)
		}
	}
	if err := setStrict(false); err != nil {
		fmt.Printf("soak: error: settings: %v\n", err)
		return
	}
	if !sleep(perfSettle) {
		return
	}
	end := soakNow()
	heapProfile("soak-end")
	if checks < 20 {
		after20 = end
	}
	var sqlite int64
	for _, f := range []string{store.FileName, store.FileName + "-wal"} {
		if st, err := os.Stat(filepath.Join(ka.db.Dir(), f)); err == nil {
			sqlite += st.Size()
		}
	}
	fmt.Printf("soak: results %v peak_rss_mb=%.1f\n", results, peak)
	fmt.Printf("soak: at the peak go_heap_inuse_mb=%.1f go_heap_idle_kept_mb=%.1f go_other_mb=%.1f outside_go_mb=%.1f\n",
		float64(atPeak.HeapInuse)/(1<<20), float64(atPeak.HeapIdle-atPeak.HeapReleased)/(1<<20),
		float64(atPeak.Sys-atPeak.HeapSys)/(1<<20), peak-float64(atPeak.Sys-atPeak.HeapReleased)/(1<<20))
	fmt.Printf("soak: checks=%d rss_mb_after_20=%.1f rss_mb_end=%.1f signin_mb=%.1f peak_mb=%.1f model_mb=%.1f goroutines_start=%d goroutines_end=%d fds_start=%d fds_end=%d sqlite_mb=%.1f\n",
		checks, after20.rssMB, end.rssMB, signin, peak, start.rssMB-signin, start.goroutines, end.goroutines,
		start.fds, end.fds, float64(sqlite)/(1<<20))
}
