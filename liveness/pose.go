package liveness

import "math"

// Pose is the head's orientation, in degrees, from the camera's point of
// view, estimated from the 68 landmarks.
//
//   - Yaw: positive when the face turns towards the image's right (the
//     person's own left, as the camera faces them).
//   - Pitch: positive when the head is lowered (chin down).
//   - Roll: positive when the head tilts clockwise in the image.
type Pose struct {
	Yaw, Pitch, Roll float64
}

// modelPoint is a landmark of a generic adult head in camera-like
// coordinates (x to the image's right, y down, z away from the camera;
// units about 0.1 mm, nose tip at the origin). Widely used approximate
// anthropometric values; the fit only needs their proportions.
type modelPoint struct {
	index   int
	x, y, z float64
}

// poseModel uses landmarks that do not move when the person blinks or
// speaks (eye corners, nose, brows) and a few that move a little (mouth
// corners, chin), which the least-squares fit tolerates. The jaw contour
// is left out: its points slide along the silhouette as the head turns.
var poseModel = [...]modelPoint{
	{30, 0, 0, 0},         // nose tip
	{33, 0, 60, 45},       // nose base
	{27, 0, -170, 110},    // nose bridge between the eyes
	{36, -225, -170, 135}, // outer corner, eye on the image's left
	{39, -80, -165, 120},  // its inner corner
	{42, 80, -165, 120},   // inner corner, eye on the image's right
	{45, 225, -170, 135},  // its outer corner
	{48, -150, 150, 125},  // mouth corners
	{54, 150, 150, 125},   //
	{8, 0, 330, 65},       // chin
	{17, -340, -270, 130}, // outer brow ends
	{26, 340, -270, 130},  //
	{21, -70, -270, 40},   // inner brow ends
	{22, 70, -270, 40},    //
}

// poseModelCentre is the mean of poseModel, and poseModelInv the inverse
// of its centred scatter matrix: both fixed, computed once.
var poseModelCentre, poseModelInv = func() ([3]float64, [3][3]float64) {
	var c [3]float64
	for _, p := range poseModel {
		c[0] += p.x
		c[1] += p.y
		c[2] += p.z
	}
	n := float64(len(poseModel))
	c[0], c[1], c[2] = c[0]/n, c[1]/n, c[2]/n
	var s [3][3]float64
	for _, p := range poseModel {
		v := [3]float64{p.x - c[0], p.y - c[1], p.z - c[2]}
		for i := range 3 {
			for j := range 3 {
				s[i][j] += v[i] * v[j]
			}
		}
	}
	return c, inv3(s)
}()

// HeadPose estimates the head's orientation from the landmarks by fitting
// a scaled orthographic projection of a generic 3-D head (the affine
// least-squares fit of the model to the points, then the nearest
// rotation). At a counter the face is small against its distance to the
// camera, so perspective matters little; the fit takes about a
// microsecond, with no OpenCV call. ok is false without landmarks or for a
// degenerate fit.
func (f *Frame) HeadPose() (Pose, bool) {
	if f.Faces == 0 || !f.HasShape {
		return Pose{}, false
	}
	return EstimatePose(&f.Landmarks)
}

// EstimatePose is HeadPose on a landmark set.
func EstimatePose(pts *[68]Point) (Pose, bool) {
	var mx, my float64
	for _, p := range poseModel {
		mx += pts[p.index].X
		my += pts[p.index].Y
	}
	n := float64(len(poseModel))
	mx, my = mx/n, my/n
	// A (2×3) = xᵀX (XᵀX)⁻¹ with X the centred model, x the centred points.
	var xtX [2][3]float64
	for _, p := range poseModel {
		v := [3]float64{p.x - poseModelCentre[0], p.y - poseModelCentre[1], p.z - poseModelCentre[2]}
		u := [2]float64{pts[p.index].X - mx, pts[p.index].Y - my}
		for i := range 2 {
			for j := range 3 {
				xtX[i][j] += u[i] * v[j]
			}
		}
	}
	var r1, r2 [3]float64
	for j := range 3 {
		for k := range 3 {
			r1[j] += xtX[0][k] * poseModelInv[k][j]
			r2[j] += xtX[1][k] * poseModelInv[k][j]
		}
	}
	n1, n2 := norm3(r1), norm3(r2)
	if n1 == 0 || n2 == 0 || math.IsNaN(n1+n2) {
		return Pose{}, false
	}
	// The nearest pair of orthonormal rows: normalise, then split the
	// error of their dot product evenly between them.
	for i := range 3 {
		r1[i] /= n1
		r2[i] /= n2
	}
	d := dot3(r1, r2)
	a, b := r1, r2
	for i := range 3 {
		a[i] = r1[i] - d/2*r2[i]
		b[i] = r2[i] - d/2*r1[i]
	}
	a, b = unit3(a), unit3(b)
	c := cross3(a, b)
	// R = [a; b; c] = Rz(roll)·Ry(yaw)·Rx(pitch).
	yaw := math.Asin(clamp(-c[0], -1, 1))
	pitch := math.Atan2(c[1], c[2])
	roll := math.Atan2(b[0], a[0])
	deg := 180 / math.Pi
	// Signs as documented on Pose: a face turned to the image's right
	// brings the nose towards +x, a lowered head moves it down (+y).
	return Pose{Yaw: -yaw * deg, Pitch: pitch * deg, Roll: roll * deg}, true
}

func inv3(m [3][3]float64) [3][3]float64 {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) -
		m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) +
		m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var r [3][3]float64
	r[0][0] = (m[1][1]*m[2][2] - m[1][2]*m[2][1]) / det
	r[0][1] = (m[0][2]*m[2][1] - m[0][1]*m[2][2]) / det
	r[0][2] = (m[0][1]*m[1][2] - m[0][2]*m[1][1]) / det
	r[1][0] = (m[1][2]*m[2][0] - m[1][0]*m[2][2]) / det
	r[1][1] = (m[0][0]*m[2][2] - m[0][2]*m[2][0]) / det
	r[1][2] = (m[0][2]*m[1][0] - m[0][0]*m[1][2]) / det
	r[2][0] = (m[1][0]*m[2][1] - m[1][1]*m[2][0]) / det
	r[2][1] = (m[0][1]*m[2][0] - m[0][0]*m[2][1]) / det
	r[2][2] = (m[0][0]*m[1][1] - m[0][1]*m[1][0]) / det
	return r
}

func dot3(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func norm3(a [3]float64) float64   { return math.Sqrt(dot3(a, a)) }
func unit3(a [3]float64) [3]float64 {
	n := norm3(a)
	return [3]float64{a[0] / n, a[1] / n, a[2] / n}
}
func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
