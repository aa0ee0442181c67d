package face

import (
	"image"
	"math"

	"certkiosk/liveness"
)

// anchor ties a detector box to landmarks that do not move when the person
// blinks or speaks (eye corners and nose), so that between detections the
// next frame's box comes from the last frame's landmarks: no cascade on
// most frames, and a box that sits where the cascade would have put it.
// The tie is measured on the detection that starts a track and kept for the
// track's life (re-measuring it on every detection would make the box jump).
type anchor struct {
	dx, dy float64 // box centre − stable centre, in inter-ocular distances
	w, h   float64 // box size in inter-ocular distances
}

var stablePoints = []int{27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45}

// stable returns the centre of the stable landmarks and the inter-ocular
// distance (outer eye corners).
func stable(pts *[68]liveness.Point) (cx, cy, iod float64) {
	for _, i := range stablePoints {
		cx += pts[i].X
		cy += pts[i].Y
	}
	n := float64(len(stablePoints))
	iod = math.Hypot(pts[45].X-pts[36].X, pts[45].Y-pts[36].Y)
	return cx / n, cy / n, iod
}

func newAnchor(box image.Rectangle, pts *[68]liveness.Point) (anchor, bool) {
	cx, cy, iod := stable(pts)
	if iod < 1 {
		return anchor{}, false
	}
	bx := float64(box.Min.X+box.Max.X) / 2
	by := float64(box.Min.Y+box.Max.Y) / 2
	return anchor{dx: (bx - cx) / iod, dy: (by - cy) / iod,
		w: float64(box.Dx()) / iod, h: float64(box.Dy()) / iod}, true
}

// box is the detector box the anchor predicts from landmarks.
func (a anchor) box(pts *[68]liveness.Point) image.Rectangle {
	cx, cy, iod := stable(pts)
	bx, by := cx+a.dx*iod, cy+a.dy*iod
	w, h := a.w*iod, a.h*iod
	return image.Rect(int(math.Round(bx-w/2)), int(math.Round(by-h/2)), int(math.Round(bx+w/2)), int(math.Round(by+h/2)))
}
