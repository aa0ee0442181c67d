package liveness

import (
	"math"
	"testing"
)

// project places the generic head at a known pose, as a camera would see
// it (scaled orthographic, image centre offset), and returns landmarks.
func project(yaw, pitch, roll, scale float64) [68]Point {
	rad := math.Pi / 180
	// The documented sign conventions, written as plain rotations of the
	// head: yaw turns the nose towards +x, pitch moves it towards +y,
	// roll turns the image clockwise.
	y, p, r := -yaw*rad, pitch*rad, roll*rad
	rot := func(v [3]float64) [3]float64 {
		// Rx(p), then Ry(y), then Rz(r).
		v = [3]float64{v[0], v[1]*math.Cos(p) - v[2]*math.Sin(p), v[1]*math.Sin(p) + v[2]*math.Cos(p)}
		v = [3]float64{v[0]*math.Cos(y) + v[2]*math.Sin(y), v[1], -v[0]*math.Sin(y) + v[2]*math.Cos(y)}
		return [3]float64{v[0]*math.Cos(r) - v[1]*math.Sin(r), v[0]*math.Sin(r) + v[1]*math.Cos(r), v[2]}
	}
	var pts [68]Point
	for i := range pts {
		pts[i] = Point{320, 240}
	}
	for _, m := range poseModel {
		v := rot([3]float64{m.x, m.y, m.z})
		pts[m.index] = Point{320 + scale*v[0], 240 + scale*v[1]}
	}
	return pts
}

func TestPoseRecoversKnownAngles(t *testing.T) {
	for _, c := range []struct{ yaw, pitch, roll float64 }{
		{0, 0, 0}, {20, 0, 0}, {-25, 0, 0}, {0, 15, 0}, {0, -20, 0}, {0, 0, 30}, {0, 0, -12},
		{15, -10, 8}, {-30, 12, -20}, {40, 0, 0},
	} {
		pts := project(c.yaw, c.pitch, c.roll, 0.25)
		got, ok := EstimatePose(&pts)
		if !ok {
			t.Fatalf("%+v: no pose", c)
		}
		if math.Abs(got.Yaw-c.yaw) > 0.5 || math.Abs(got.Pitch-c.pitch) > 0.5 || math.Abs(got.Roll-c.roll) > 0.5 {
			t.Errorf("pose %+v: got %+v", c, got)
		}
	}
}

func TestPoseSignsOnMovedLandmarks(t *testing.T) {
	base := project(0, 0, 0, 0.25)
	// Nose tip and base pushed to the image's right: a turn to the right.
	right := base
	right[30].X += 12
	right[33].X += 10
	if p, _ := EstimatePose(&right); p.Yaw <= 5 {
		t.Errorf("nose moved right: yaw %.1f, want clearly positive", p.Yaw)
	}
	// Nose pushed down towards the mouth: head lowered.
	down := base
	down[30].Y += 10
	down[33].Y += 10
	if p, _ := EstimatePose(&down); p.Pitch <= 5 {
		t.Errorf("nose moved down: pitch %.1f, want clearly positive", p.Pitch)
	}
}

func TestPoseDegenerate(t *testing.T) {
	var pts [68]Point
	if _, ok := EstimatePose(&pts); ok {
		t.Fatal("all landmarks on one spot gave a pose")
	}
	f := Frame{}
	if _, ok := f.HeadPose(); ok {
		t.Fatal("a frame without a face gave a pose")
	}
}

func BenchmarkHeadPose(b *testing.B) {
	pts := project(15, -10, 8, 0.25)
	for b.Loop() {
		EstimatePose(&pts)
	}
}

// A head turned 20–25° with both eyes visible, raised or lowered a
// little, or tilted any amount a seated person tilts, is judged, not
// refused (issue 9).
func TestGatesTolerateTurnsAndTilt(t *testing.T) {
	for _, c := range []struct{ yaw, pitch, roll float64 }{
		{25, 0, 0}, {-25, 0, 0}, {22, 12, 0}, {-20, -15, 0}, {0, 0, 30}, {0, 0, -35}, {15, 10, 25}, {30, 0, 0},
	} {
		f := Frame{Faces: 1, HasShape: true, Landmarks: project(c.yaw, c.pitch, c.roll, 0.22)}
		if is, ok := DefaultGates.checkPose(&f); !ok {
			t.Errorf("pose %+v refused: %s", c, is.Code)
		}
	}
}
