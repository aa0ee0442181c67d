package sync

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	b := DefaultBackoff()
	top := Backoff{Min: b.Min, Max: b.Max, rand: func() float64 { return 0.999999 }}
	bottom := Backoff{Min: b.Min, Max: b.Max, rand: func() float64 { return 0 }}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300}
	for i, w := range want {
		got := top.Delay(i)
		if got > w*time.Second || got < w*time.Second-time.Millisecond {
			t.Errorf("attempt %d: top delay %v, want about %v", i, got, w*time.Second)
		}
		if bottom.Delay(i) != time.Second {
			t.Errorf("attempt %d: bottom delay %v, want 1s", i, bottom.Delay(i))
		}
	}
	for _, a := range []int{63, 64, 1000} {
		if d := top.Delay(a); d > 5*time.Minute || d < 5*time.Minute-time.Millisecond {
			t.Errorf("attempt %d: %v, want the 5 min cap", a, d)
		}
	}
}

func TestBackoffJitterSpreads(t *testing.T) {
	b := DefaultBackoff()
	seen := map[time.Duration]bool{}
	for i := 0; i < 50; i++ {
		d := b.Delay(5)
		if d < time.Second || d > 32*time.Second {
			t.Fatalf("delay %v outside [1s, 32s]", d)
		}
		seen[d.Round(100*time.Millisecond)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 delays took only %d distinct values: no jitter", len(seen))
	}
}
