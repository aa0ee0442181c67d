package liveness

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"
)

// NewCode returns a random code of n digits (4–6) for the read-digits
// challenge, from crypto/rand so it cannot be predicted and pre-recorded.
// No digit follows an equal one (issue 22): read aloud, 一一 or 八八 run
// together into one long syllable, which the voice check cannot count
// apart (real speech: 二一一五四八八一 was heard as 5–6 syllables of 8).
func NewCode(n int) (string, error) {
	if n < 4 || n > 6 {
		return "", fmt.Errorf("new code: %d digits, want 4 to 6", n)
	}
	b := make([]byte, n)
	for i := range b {
		choices := int64(10)
		if i > 0 {
			choices = 9 // any digit but the previous one
		}
		d, err := rand.Int(rand.Reader, big.NewInt(choices))
		if err != nil {
			return "", fmt.Errorf("new code: %w", err)
		}
		v := byte(d.Int64())
		if i > 0 && v >= b[i-1]-'0' {
			v++
		}
		b[i] = '0' + v
	}
	return string(b), nil
}

// NoRepeats reports whether no digit of code follows an equal one.
func NoRepeats(code string) bool {
	for i := 1; i < len(code); i++ {
		if code[i] == code[i-1] {
			return false
		}
	}
	return true
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
