package liveness

import (
	"math"
	"testing"
)

// eye builds a lens-shaped eye of width w and lid gap h, rotated by a and
// scaled by s, in dlib's point order.
func eye(w, h, a, s float64) [6]Point {
	raw := [6]Point{{0, 0}, {w / 3, -h / 2}, {2 * w / 3, -h / 2}, {w, 0}, {2 * w / 3, h / 2}, {w / 3, h / 2}}
	var out [6]Point
	for i, p := range raw {
		out[i] = Point{s * (p.X*math.Cos(a) - p.Y*math.Sin(a)), s * (p.X*math.Sin(a) + p.Y*math.Cos(a))}
	}
	return out
}

func TestEAR(t *testing.T) {
	tests := []struct {
		name       string
		w, h, a, s float64
		want       float64
	}{
		{"open", 30, 9, 0, 1, 0.3},
		{"closed", 30, 1.5, 0, 1, 0.05},
		{"open, head tilted", 30, 9, 0.3, 1, 0.3},
		{"open, twice as close", 30, 9, 0, 2, 0.3},
		{"shut flat", 30, 0, 0, 1, 0},
	}
	for _, tt := range tests {
		if got := EAR(eye(tt.w, tt.h, tt.a, tt.s)); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: EAR = %.4f, want %.4f", tt.name, got, tt.want)
		}
	}
	if got := EAR([6]Point{}); got != 0 {
		t.Errorf("degenerate eye: EAR = %v, want 0", got)
	}
}

func TestMAR(t *testing.T) {
	mouth := func(w, h float64) [8]Point {
		return [8]Point{{0, 0}, {w / 4, -h / 2}, {w / 2, -h / 2}, {3 * w / 4, -h / 2}, {w, 0}, {3 * w / 4, h / 2}, {w / 2, h / 2}, {w / 4, h / 2}}
	}
	if got := MAR(mouth(40, 6)); math.Abs(got-0.15) > 1e-9 {
		t.Errorf("closed mouth: MAR = %.4f, want 0.15", got)
	}
	if got := MAR(mouth(40, 14)); math.Abs(got-0.35) > 1e-9 {
		t.Errorf("open mouth: MAR = %.4f, want 0.35", got)
	}
	if got := MAR([8]Point{}); got != 0 {
		t.Errorf("degenerate mouth: MAR = %v", got)
	}
}
