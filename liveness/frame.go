package liveness

import (
	"image"
	"time"
)

// Frame is what the vision side saw in one video frame: the input of every
// judgement in this package. It holds numbers only (no pixels), so the
// judgement is plain Go, testable without a camera and the same on every
// run for the same clip.
type Frame struct {
	Index int           // 0-based position in the stream
	Time  time.Duration // the frame's own time (file clock or monotonic)
	Size  image.Point   // frame size in pixels

	Faces     int             // faces found; Box and Landmarks describe the main one
	Box       image.Rectangle // main face, frame pixels
	Landmarks [68]Point       // dlib 68-point order; valid when HasShape
	HasShape  bool

	// Brightness is the mean grey level (0–255) of the face, or of the
	// whole frame when there is no face.
	Brightness float64
	// Sharpness is the variance of the Laplacian of the face at a fixed
	// size (higher is sharper); 0 when unknown.
	Sharpness float64

	// Eyes are each eye's pixels (image left first) in a patch of fixed
	// size, centred on the eye's corners and levelled and scaled by the
	// outer eye corners (so roll, distance and drift are taken out) and covering the open eye whatever the lid
	// landmarks say: the second cue of a blink, for when the landmarks
	// hardly follow the lid (small, dim or compressed faces, heavy lids,
	// glasses). Valid only with landmarks.
	Eyes [2]Patch
	// Mouth is the mouth's pixels in the same kind of patch, its
	// corners' middle at (16, 5): the lips and the jaw's opening below
	// them, the second cue of speech.
	Mouth Patch

	// EyeClosed is each eye's probability of being closed (image left
	// first: the person's right eye, then the left) from the learned
	// eye-state model (issue 22), for the eyes marked in EyeSeen. An eye
	// is not seen when there are no landmarks, when its crop leaves the
	// frame or is too small, or when the head is turned so far that it is
	// the far, foreshortened eye.
	EyeClosed [2]float64
	EyeSeen   [2]bool
}

// ClosedProb is the eyes' probability of being closed: the mean over the
// eyes seen; ok is false when no eye was seen.
func (f *Frame) ClosedProb() (p float64, ok bool) {
	n := 0
	for k := range 2 {
		if f.EyeSeen[k] {
			p += f.EyeClosed[k]
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return p / float64(n), true
}

// Patch size: an eye's corners' middle sits at (16, 8).
const (
	PatchW = 32
	PatchH = 16
)

// Patch is an eye's or the mouth's grey pixels, row by row.
type Patch struct {
	Pix   [PatchW * PatchH]uint8
	Valid bool
}

// dlib 68-point index ranges.
var (
	rightEye = [6]int{36, 37, 38, 39, 40, 41} // the person's right eye, left in the image
	leftEye  = [6]int{42, 43, 44, 45, 46, 47}
	innerLip = [8]int{60, 61, 62, 63, 64, 65, 66, 67}
)

// EyeEAR is the mean eye aspect ratio of both eyes; ok is false without
// landmarks.
func (f *Frame) EyeEAR() (ear float64, ok bool) {
	if f.Faces == 0 || !f.HasShape {
		return 0, false
	}
	var r, l [6]Point
	for i := range 6 {
		r[i] = f.Landmarks[rightEye[i]]
		l[i] = f.Landmarks[leftEye[i]]
	}
	return (EAR(r) + EAR(l)) / 2, true
}

// MouthMAR is the inner-mouth aspect ratio; ok is false without landmarks.
func (f *Frame) MouthMAR() (mar float64, ok bool) {
	if f.Faces == 0 || !f.HasShape {
		return 0, false
	}
	var m [8]Point
	for i := range 8 {
		m[i] = f.Landmarks[innerLip[i]]
	}
	return MAR(m), true
}
