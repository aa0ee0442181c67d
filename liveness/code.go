package liveness

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"
)

// NewCode returns a random code of n digits (4–6) for the read-digits
// challenge, from crypto/rand so it cannot be predicted and pre-recorded.
func NewCode(n int) (string, error) {
	if n < 4 || n > 6 {
		return "", fmt.Errorf("new code: %d digits, want 4 to 6", n)
	}
	b := make([]byte, n)
	for i := range b {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("new code: %w", err)
		}
		b[i] = byte('0' + d.Int64())
	}
	return string(b), nil
}

// RandomDelay returns a uniformly random delay in [lo, hi) from
// crypto/rand, for the prompt's timing in live use (a replayed video cannot
// know when to blink).
func RandomDelay(lo, hi time.Duration) (time.Duration, error) {
	if hi <= lo {
		return lo, nil
	}
	d, err := rand.Int(rand.Reader, big.NewInt(int64(hi-lo)))
	if err != nil {
		return 0, fmt.Errorf("random delay: %w", err)
	}
	return lo + time.Duration(d.Int64()), nil
}

// validCode reports whether s is 4–6 ASCII digits.
func validCode(s string) bool {
	if len(s) < 4 || len(s) > 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
