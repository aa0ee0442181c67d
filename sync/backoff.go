// Package sync sends the kiosk's certifications to the central service in
// signed, idempotent batches and brings the roster back. It has no UI; the
// GUI runs its worker in the background and kioskctl runs it in the
// foreground.
package sync

import (
	"math/rand/v2"
	"time"
)

// Backoff computes retry delays: exponential from Min, capped at Max, with
// "full jitter" (a uniform random delay up to the exponential bound), so a
// hall of kiosks coming back online together does not hammer the central
// service in lock-step.
type Backoff struct {
	Min, Max time.Duration
	rand     func() float64 // in [0,1); tests pin it
}

// DefaultBackoff is about 1 s up to 5 min.
func DefaultBackoff() Backoff { return Backoff{Min: time.Second, Max: 5 * time.Minute} }

// Delay returns the wait before retry number attempt (0 for the first
// retry). It is at least Min and at most Max.
func (b Backoff) Delay(attempt int) time.Duration {
	bound := b.Max
	if attempt < 40 { // beyond that the shift overflows; the cap holds anyway
		if d := b.Min << attempt; d > 0 && d < b.Max {
			bound = d
		}
	}
	r := rand.Float64
	if b.rand != nil {
		r = b.rand
	}
	d := b.Min + time.Duration(r()*float64(bound-b.Min))
	return min(max(d, b.Min), b.Max)
}
