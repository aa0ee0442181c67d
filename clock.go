package certkiosk

import (
	"sync/atomic"
	"time"
)

// SystemClock is the machine's clock, and the default of every clock the
// program injects (the kiosk database's, the kiosk window's, the check's,
// the central's servers'). Code that decides by date never reads time.Now
// itself: it is given a clock, which a program's main wires to this one and
// a test pins. clock_test.go holds that rule over the whole module.
func SystemClock() time.Time {
	return time.Now().Add(time.Duration(systemOffset.Load()))
}

var systemOffset atomic.Int64

// MoveSystemClockForTest moves SystemClock by d, for tests only: a test
// that pins its own clock moves the machine's far away, so that code which
// reads the machine's date where the pinned one was meant shows up as a
// changed screen or result. It returns the offset it replaced, to put back.
// Programs never call it.
func MoveSystemClockForTest(d time.Duration) (previous time.Duration) {
	return time.Duration(systemOffset.Swap(int64(d)))
}
