//go:build perf

package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/internal/memtune"
	"certkiosk/store"

	"fyne.io/fyne/v2"
)

// perfEnv, set to a number N, makes a demo-mode kiosk measure itself for
// scripts/perf.sh: it reports its resident memory at the sign-in screen,
// then signs in as the demo account, runs N blink checks on the demo
// camera one after another, reports its memory during and after each, and
// quits. It is for measurement only — an environment variable, not a flag,
// so staff never see it — and it is refused outside demo mode.
const perfEnv = "CERTKIOSK_PERF_CHECKS"

// perfProfileEnv names a directory where the measuring kiosk also writes
// Go heap profiles (signin.heap, done.heap) for `go tool pprof`.
const perfProfileEnv = "CERTKIOSK_PERF_PROFILE"

// perfChecks reads perfEnv: the number of checks, and whether it is set.
func perfChecks() (int, bool, error) {
	v, ok := os.LookupEnv(perfEnv)
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1000 {
		return 0, false, fmt.Errorf("%s=%q: want a number of checks 0…1000", perfEnv, v)
	}
	return n, true, nil
}

// perfSettle is how long the sign-in screen stands before its memory is
// read (the background start-up has ended by then) and how long the home
// screen stands after the last check.
const perfSettle = 5 * time.Second

// perfIdle is how long the home screen then stands before the last
// measurement: longer than Fyne's cache keeps the renderers, images and
// textures of screens no longer shown (fyne internal/cache ValidDuration,
// one minute; cleaned at most every 30 s).
const perfIdle = 95 * time.Second

// measure runs perfEnv's scenario and quits the app; it prints one
// "perf: …" line per figure on stdout. It returns early when ctx ends.
func (ka *kioskApp) measure(ctx context.Context, checks int) {
	if !ka.cfg.Demo {
		log.Printf("%s: refused outside demo mode", perfEnv)
		return
	}
	defer fyne.Do(ka.kiosk.App.Quit)
	if os.Getenv(soakEnv) != "" {
		ka.soak(ctx, checks)
		return
	}
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	ui := func(f func()) { fyne.DoAndWait(f) }
	if !sleep(perfSettle) {
		return
	}
	fmt.Printf("perf: signin %s\n", memLine())
	heapProfile("signin")
	var ok bool
	ui(func() {
		ka.kiosk.Login(store.DemoStaffID, store.DemoStaffPIN)
		ok = ka.kiosk.Screen() == "home"
	})
	if !ok {
		fmt.Printf("perf: error: demo sign-in failed\n")
		return
	}
	for i := 1; i <= checks; i++ {
		var screen string
		ui(func() {
			ka.kiosk.ShowFirstDue()
			ka.kiosk.StartCertification(certkiosk.MethodBlink)
			screen = ka.kiosk.Screen()
		})
		if screen != "certify" {
			fmt.Printf("perf: error: check %d did not start (screen %q)\n", i, screen)
			return
		}
		start, cpu0 := time.Now(), cpuSeconds()
		var peak, mid int64
		for screen == "certify" {
			if !sleep(200 * time.Millisecond) {
				return
			}
			rss := rssKB()
			peak = max(peak, rss)
			if mid == 0 && time.Since(start) > 3*time.Second {
				mid = rss
			}
			ui(func() { screen = ka.kiosk.Screen() })
			if time.Since(start) > 2*time.Minute {
				fmt.Printf("perf: error: check %d still running after 2 minutes\n", i)
				return
			}
		}
		took := time.Since(start)
		if mid == 0 { // a check shorter than 3 s
			mid = peak
		}
		ui(func() { ka.kiosk.ShowHome() })
		fmt.Printf("perf: check %d result=%s seconds=%.1f cpu_seconds=%.2f during_rss_mb=%.1f peak_rss_mb=%.1f after %s\n",
			i, screen, took.Seconds(), cpuSeconds()-cpu0, mb(mid), mb(peak), memLine())
	}
	if !sleep(perfSettle) {
		return
	}
	fmt.Printf("perf: done %s\n", memLine())
	heapProfile("done")
	// A counter's pace is a check every few minutes, not every few
	// seconds: stand on the home screen past Fyne's one-minute cache of
	// the screens just left, and measure again.
	if !sleep(perfIdle) {
		return
	}
	fmt.Printf("perf: idle %s\n", memLine())
}

// heapProfile writes the Go heap profile to perfProfileEnv/name.heap when
// that is set.
func heapProfile(name string) {
	dir := os.Getenv(perfProfileEnv)
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name+".heap"))
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		log.Printf("%s: heap profile: %v", perfProfileEnv, err)
	}
}

// memLine is the process's memory now: resident set (and its anonymous,
// file-backed and shared parts), the Go heap in use and all the Go
// runtime holds.
func memLine() string {
	f := statusKB("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// gomem: what the Go runtime holds from the system (not yet returned);
	// c_*: glibc's heaps, in use and free but kept, and its mapped chunks.
	n := memtune.Stats()
	return fmt.Sprintf("rss_mb=%.1f anon_mb=%.1f file_mb=%.1f shmem_mb=%.1f hwm_mb=%.1f goheap_mb=%.1f gomem_mb=%.1f c_inuse_mb=%.1f c_free_mb=%.1f c_mapped_mb=%.1f",
		mb(f["VmRSS"]), mb(f["RssAnon"]), mb(f["RssFile"]), mb(f["RssShmem"]), mb(f["VmHWM"]),
		float64(ms.HeapInuse)/(1<<20), float64(ms.Sys-ms.HeapReleased)/(1<<20),
		float64(n.InUse)/(1<<20), float64(n.Free)/(1<<20), float64(n.Mapped)/(1<<20))
}

func rssKB() int64 { return statusKB("VmRSS")["VmRSS"] }

// cpuSeconds is the processor time the process has used, user and system
// (/proc/self/stat fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

// statusKB reads fields (in kB) from /proc/self/status.
func statusKB(names ...string) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		for _, n := range names {
			if k == n {
				out[k], _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			}
		}
	}
	return out
}
