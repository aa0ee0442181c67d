package ui

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
)

// systemDateEnv, read by tests only, moves the machine's clock
// (certkiosk.SystemClock) to another date for the whole run: CI runs the
// screens once more at a far date, and they must not change, since every
// screen takes the kiosk's pinned clock.
const systemDateEnv = "CERTKIOSK_TEST_SYSTEM_DATE"

// afterClose is what the store says when it is used after it was closed:
// something outlived the database it used. No test may cause it.
const afterClose = "database is closed"

// logWatch copies the log to stderr and remembers lines that show a use
// after close.
type logWatch struct {
	mu  sync.Mutex
	bad []string
}

func (w *logWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(afterClose)) {
		w.mu.Lock()
		w.bad = append(w.bad, strings.TrimSpace(string(p)))
		w.mu.Unlock()
	}
	return os.Stderr.Write(p)
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(receiptCrashEnv); dir != "" {
		receiptCrashChild(dir) // TestPowerCutWhileAReceiptPrints's child: killed, never returns
		return
	}
	if v := os.Getenv(systemDateEnv); v != "" {
		d, err := time.ParseInLocation(time.DateOnly, v, certkiosk.China)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s=%q: want YYYY-MM-DD: %v\n", systemDateEnv, v, err)
			os.Exit(2)
		}
		moveSystemDate(d)
		fmt.Fprintf(os.Stderr, "ui tests: the system clock reads %s\n", certkiosk.SystemClock().Format(time.RFC3339))
	}
	w := &logWatch{}
	log.SetOutput(w)
	code := m.Run()
	if len(w.bad) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the store was used after it was closed (%d times):\n  %s\n",
			len(w.bad), strings.Join(w.bad, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// moveSystemDate moves certkiosk.SystemClock to the same time of day on
// date d (China time), and returns the offset it replaced.
func moveSystemDate(d time.Time) (previous time.Duration) {
	now := time.Now().In(certkiosk.China)
	target := time.Date(d.Year(), d.Month(), d.Day(), now.Hour(), now.Minute(), now.Second(), 0, certkiosk.China)
	return certkiosk.MoveSystemClockForTest(target.Sub(now))
}
