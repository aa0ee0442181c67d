// Package liveness judges whether a live person is in front of the camera:
// face and landmarks per frame, then the blink or read-digits challenge.
// It has no UI; the kiosk and `kioskctl liveness` both drive it.
package liveness

import "math"

// Point is a landmark position in pixels.
type Point struct{ X, Y float64 }

func dist(a, b Point) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// EAR is the eye aspect ratio of Soukupová & Čech (2016) over the six
// landmarks of one eye in dlib's 68-point order (corner, two upper-lid
// points, corner, two lower-lid points): the mean of the two vertical lid
// gaps over the corner-to-corner width. About 0.3 for an open eye and
// near 0.1 for a closed one; it does not change with distance to the camera.
// A degenerate eye (corners on one spot) gives 0.
func EAR(p [6]Point) float64 {
	w := dist(p[0], p[3])
	if w == 0 {
		return 0
	}
	return (dist(p[1], p[5]) + dist(p[2], p[4])) / (2 * w)
}

// MAR is the inner-mouth aspect ratio over the eight inner-lip landmarks
// (dlib points 60–67: corner, three upper, corner, three lower): the mean of
// the three vertical gaps over the corner-to-corner width. It rises from
// about 0.1–0.2 with lips together to 0.3 and more while speaking.
func MAR(p [8]Point) float64 {
	w := dist(p[0], p[4])
	if w == 0 {
		return 0
	}
	return (dist(p[1], p[7]) + dist(p[2], p[6]) + dist(p[3], p[5])) / (3 * w)
}
