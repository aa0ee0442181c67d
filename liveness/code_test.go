package liveness

import "testing"

// Issue 22: no digit follows an equal one, and every digit still comes
// up in every place.
func TestNewCodeHasNoRepeatedDigits(t *testing.T) {
	var count [6][10]int
	for range 2000 {
		c, err := NewCode(6)
		if err != nil {
			t.Fatal(err)
		}
		if !NoRepeats(c) {
			t.Fatalf("NewCode(6) = %q: a digit follows an equal one", c)
		}
		for i := range c {
			count[i][c[i]-'0']++
		}
	}
	for i := range count {
		for d, n := range count[i] {
			// 200 expected per digit and place; 120 is > 5 sigma below.
			if n < 120 {
				t.Errorf("digit %d in place %d came %d times of 2000", d, i, n)
			}
		}
	}
	if NoRepeats("4881") || !NoRepeats("4821") {
		t.Error("NoRepeats wrong")
	}
}
