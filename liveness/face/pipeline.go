package face

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"time"

	"certkiosk"
	"certkiosk/liveness"

	"gocv.io/x/gocv"
)

// Cascades from Debian's opencv-data.
const (
	CascadeDir     = "/usr/share/opencv4/haarcascades/"
	DefaultCascade = CascadeDir + "haarcascade_frontalface_alt2.xml"
	NaiveCascade   = CascadeDir + "haarcascade_frontalface_default.xml"
)

// Options configure a Pipeline. Zero values take the defaults noted.
type Options struct {
	Model   string // landmark model (DefaultModel)
	Cascade string // face cascade (DefaultCascade)
	// Scale is the downscale of the grey frame the cascade runs on (0.25:
	// a 160×120 search still finds a face of MinFace).
	Scale float64
	// MinFace is the smallest face searched for, as a fraction of the
	// frame width (0.15, the too-small gate: 24 px at 160 wide, just above
	// the cascade's 20 px window; naive: 0.125, 80 px at 640).
	MinFace float64
	// DetectEvery forces a full-frame detection every so many frames (30,
	// once a second), so a second face entering is seen and a lost face
	// noticed; in between, the box follows the last frame's landmarks (see
	// anchor). Under 5 % of frames detect, so the 95th percentile of
	// processing time is a tracked frame.
	DetectEvery int
	// MinNeighbors is the cascade's minNeighbors (5; naive 3): on the
	// 160×120 downscale, 3 let a false face through in about 1 frame in
	// 150 of the drifting portrait, 6 in none of 675.
	MinNeighbors int
	// Naive turns off downscaling and tracking: a full-frame cascade on
	// every frame, the baseline the speed bar is measured against.
	Naive bool
	// NoEyeModel turns off the learned eye-state cue (Frame.EyeClosed),
	// for comparison.
	NoEyeModel bool
}

func (o *Options) defaults() {
	if o.Cascade == "" {
		o.Cascade = DefaultCascade
		if o.Naive {
			o.Cascade = NaiveCascade
		}
	}
	if o.Scale == 0 {
		o.Scale = 0.25
	}
	if o.Naive {
		o.Scale = 1
	}
	if o.MinFace == 0 {
		o.MinFace = 0.15
		if o.Naive {
			o.MinFace = 80.0 / 640
		}
	}
	if o.DetectEvery == 0 {
		o.DetectEvery = 30
	}
	if o.MinNeighbors == 0 {
		o.MinNeighbors = 5
		if o.Naive {
			o.MinNeighbors = 3
		}
	}
}

// Pipeline turns BGR frames into liveness.Frame observations. It is not
// safe for concurrent use; Close releases its Mats.
type Pipeline struct {
	opt     Options
	lm      *Landmarker
	cascade gocv.CascadeClassifier

	grey, small, lap, face gocv.Mat
	eye, eyeM              gocv.Mat  // an eye patch and its warp
	eyes                   *eyeState // the learned eye-state cue; nil when off

	tracking   bool
	track      anchor             // box ↔ landmarks tie of the current track
	last       [68]liveness.Point // landmarks in the previous frame
	faces      int                // faces at the last detection (several only when confirmed)
	multi      int                // full detections in a row that saw several faces
	idle       int                // frames to skip before the next search for a face
	sinceFull  int
	FullDetect int // full-frame detections run (for tests and figures)
	HOGDetect  int // of them, those the HOG detector ran on
}

// NewPipeline loads the cascade and the landmark model (once per process).
func NewPipeline(opt Options) (*Pipeline, error) {
	opt.defaults()
	lm, err := LoadLandmarker(opt.Model)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(opt.Cascade); err != nil {
		return nil, &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Msg: certkiosk.Msg{Key: "error.model.cascade_missing"},
			Detail: "face cascade " + opt.Cascade + " not found (install the Debian package opencv-data)", Err: err}
	}
	c := gocv.NewCascadeClassifier()
	if !c.Load(opt.Cascade) {
		c.Close()
		return nil, certkiosk.E(certkiosk.EUNAVAILABLE, "error.model.cascade_unreadable",
			"load face cascade %s", opt.Cascade)
	}
	var es *eyeState
	if !opt.NoEyeModel {
		if es, err = newEyeState(); err != nil {
			c.Close()
			return nil, err
		}
	}
	return &Pipeline{opt: opt, lm: lm, cascade: c,
		grey: gocv.NewMat(), small: gocv.NewMat(), lap: gocv.NewMat(), face: gocv.NewMat(),
		eye: gocv.NewMat(), eyeM: gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F), eyes: es,
		sinceFull: opt.DetectEvery}, nil
}

// Close releases the pipeline's Mats and cascade.
func (p *Pipeline) Close() error {
	for _, m := range []*gocv.Mat{&p.grey, &p.small, &p.lap, &p.face, &p.eye, &p.eyeM} {
		m.Close()
	}
	if p.eyes != nil {
		p.eyes.Close()
	}
	return p.cascade.Close()
}

// EyePasses is how many eyes the eye-state model has read (one forward
// pass each).
func (p *Pipeline) EyePasses() int {
	if p.eyes == nil {
		return 0
	}
	return p.eyes.passes
}

// Reset forgets the tracked face (a new session).
func (p *Pipeline) Reset() {
	p.tracking, p.faces, p.multi, p.sinceFull, p.idle = false, 0, 0, p.opt.DetectEvery, 0
}

// Process finds the face and its landmarks in a BGR frame, and reads both
// eyes with the eye-state model (when it is on).
func (p *Pipeline) Process(frame gocv.Mat, index int, t time.Duration) (liveness.Frame, error) {
	return p.ProcessNeed(frame, index, t, liveness.EyeNeed{Any: true, Both: true})
}

// ProcessNeed is Process reading with the eye-state model only what need
// asks for (a session's EyeNeed).
func (p *Pipeline) ProcessNeed(frame gocv.Mat, index int, t time.Duration, need liveness.EyeNeed) (liveness.Frame, error) {
	f := liveness.Frame{Index: index, Time: t, Size: image.Pt(frame.Cols(), frame.Rows())}
	if frame.Empty() {
		return f, fmt.Errorf("process frame %d: empty frame", index)
	}
	switch frame.Channels() {
	case 3:
		gocv.CvtColor(frame, &p.grey, gocv.ColorBGRToGray)
	case 1:
		frame.CopyTo(&p.grey)
	default:
		return f, fmt.Errorf("process frame %d: %d channels", index, frame.Channels())
	}
	bounds := image.Rect(0, 0, f.Size.X, f.Size.Y)
	k := 1 / p.opt.Scale
	var box image.Rectangle
	full := p.opt.Naive || !p.tracking || p.sinceFull >= p.opt.DetectEvery
	if !p.opt.Naive && !p.tracking && p.idle > 0 {
		// No face lately: look again every third frame only (an empty
		// counter costs little; a face arriving waits at most 66 ms).
		p.idle--
		f.Brightness = p.grey.Mean().Val1
		return f, nil
	}
	if full {
		det := p.grey
		if p.opt.Scale != 1 {
			sz := image.Pt(int(float64(frame.Cols())*p.opt.Scale+0.5), int(float64(frame.Rows())*p.opt.Scale+0.5))
			gocv.Resize(p.grey, &p.small, sz, 0, 0, gocv.InterpolationArea)
			det = p.small
		}
		p.sinceFull = 0
		var n int
		box, n = p.detect(det, k)
		p.faces = p.confirm(n)
		if n == 0 {
			p.tracking, p.idle = false, 2
			f.Brightness = det.Mean().Val1
			return f, nil
		}
		if p.tracking {
			// Keep the track's own box: the detection only confirms the
			// face is still there, and counts faces.
			if tb := p.track.box(&p.last); overlap(tb, box) > 0.3 {
				box = tb
			} else {
				p.tracking = false
			}
		}
	} else {
		box = p.track.box(&p.last)
	}
	p.sinceFull++
	f.Faces = p.faces
	f.Box = box
	if box.Intersect(bounds).Dx() < box.Dx()/2 || box.Intersect(bounds).Dy() < box.Dy()/2 || box.Dx() < 8 {
		// The face left the frame; find it again next frame. A face this
		// close is reported without landmarks (the gates ask the person
		// to sit back); any other is no face.
		p.tracking = false
		if float64(box.Dx()) < 0.6*float64(f.Size.X) {
			f.Faces, f.Box = 0, image.Rectangle{}
		}
		f.Brightness = p.grey.Mean().Val1
		return f, nil
	}
	pts, err := p.lm.Predict(p.grey, box)
	if err != nil {
		return f, fmt.Errorf("process frame %d: %w", index, err)
	}
	if !p.opt.Naive && !p.tracking {
		a, ok := newAnchor(box, &pts)
		p.track, p.tracking = a, ok
	}
	p.last = pts
	f.Landmarks, f.HasShape = pts, true
	f.Box = box.Intersect(bounds)
	p.measure(&f)
	if p.eyes != nil {
		if err := p.eyes.run(p.grey, &f, need); err != nil {
			return f, fmt.Errorf("process frame %d: %w", index, err)
		}
	}
	return f, nil
}

// confirm turns a detection count into the count to report. A cascade
// now and then finds a "face" in clothing or background; on a moving
// image such a false positive does not survive to the next frame, while a
// second person does. So several faces are reported only when two full
// detections in a row see them, and the first sighting makes the next
// frame a full detection.
func (p *Pipeline) confirm(n int) int {
	if p.opt.Naive || n <= 1 {
		p.multi = 0
		return n
	}
	p.multi++
	if p.multi >= 2 {
		return n
	}
	p.sinceFull = p.opt.DetectEvery // look again on the next frame
	return 1
}

// detect runs the cascade on the whole downscaled frame and returns the
// main face in full-frame pixels and the number of faces.
func (p *Pipeline) detect(det gocv.Mat, k float64) (image.Rectangle, int) {
	p.FullDetect++
	minSide := int(p.opt.MinFace * float64(det.Cols()))
	found := p.cascade.DetectMultiScaleWithParams(det, 1.1, p.opt.MinNeighbors, 0, image.Pt(minSide, minSide), image.Point{})
	for i, r := range found {
		found[i] = image.Rect(int(float64(r.Min.X)*k), int(float64(r.Min.Y)*k), int(float64(r.Max.X)*k), int(float64(r.Max.Y)*k))
	}
	if len(found) == 0 && !p.opt.Naive {
		// The frontal cascade misses heads turned or tilted by more than
		// about 15°, which a retiree at a counter often is. dlib's HOG
		// detector has filters for turned and tilted faces (and its
		// boxes are the ones the landmark model was trained on); it
		// costs ≈ 17 ms at 640×480, so it runs only when the cascade
		// finds nothing.
		p.HOGDetect++
		boxes, err := DetectHOG(p.grey)
		if err != nil || len(boxes) == 0 {
			return image.Rectangle{}, 0
		}
		minW := int(p.opt.MinFace * float64(p.grey.Cols()) * 0.8)
		for _, b := range boxes {
			if b.Dx() >= minW {
				found = append(found, hogToCascade(b))
			}
		}
	}
	if len(found) == 0 {
		return image.Rectangle{}, 0
	}
	if p.tracking {
		return closest(found, p.track.box(&p.last)), len(found)
	}
	return largest(found), len(found)
}

// measure fills the face's brightness and sharpness. Sharpness is taken on
// the face resized to a fixed width, so it does not grow with face size.
func (p *Pipeline) measure(f *liveness.Frame) {
	r := f.Box.Intersect(image.Rect(0, 0, p.grey.Cols(), p.grey.Rows()))
	if r.Dx() < 8 || r.Dy() < 8 {
		return
	}
	roi := p.grey.Region(r)
	defer roi.Close()
	f.Brightness = roi.Mean().Val1
	gocv.Resize(roi, &p.face, image.Pt(96, 96*r.Dy()/r.Dx()), 0, 0, gocv.InterpolationArea)
	gocv.Laplacian(p.face, &p.lap, gocv.MatTypeCV32F, 1, 1, 0, gocv.BorderDefault)
	mean, std := gocv.NewMat(), gocv.NewMat()
	defer mean.Close()
	defer std.Close()
	gocv.MeanStdDev(p.lap, &mean, &std)
	s := std.GetDoubleAt(0, 0)
	f.Sharpness = s * s
	// Each patch is rotated and scaled by the line through the outer eye
	// corners (long, so it barely jitters) and centred on the middle of
	// the eye's or mouth's corners: 24 patch pixels are 0.3 of the
	// distance between the outer eye corners, about an eye's width.
	el, er := f.Landmarks[36], f.Landmarks[45]
	dx, dy := er.X-el.X, er.Y-el.Y
	iod := math.Hypot(dx, dy)
	if iod < 8 {
		return
	}
	for k, idx := range [3][2]int{{36, 39}, {42, 45}, {48, 54}} {
		a, b := f.Landmarks[idx[0]], f.Landmarks[idx[1]]
		cx, cy := (a.X+b.X)/2, (a.Y+b.Y)/2
		out, y, scale := &f.Mouth, 5.0, 0.55 // the mouth is about 0.55 of it
		if k < 2 {
			out, y, scale = &f.Eyes[k], 8, 0.3
		}
		p.patch(cx, cy, dx/iod, dy/iod, 24/(scale*iod), y, out)
	}
}

// patch warps the neighbourhood of (cx, cy) into a fixed-size patch
// (liveness.PatchW × PatchH) with (cx, cy) at (16, y): rotated so the
// direction (ux, uy) is level and scaled by s, so the eye or mouth sits
// the same way whatever the head's roll and distance.
func (p *Pipeline) patch(cx, cy, ux, uy, s, y float64, out *liveness.Patch) {
	c, sn := s*ux, s*uy
	// x' = c·x + sn·y + tx, y' = −sn·x + c·y + ty, with (cx, cy) → (16, y).
	m := []float64{c, sn, 16 - (c*cx + sn*cy), -sn, c, y - (-sn*cx + c*cy)}
	for i, v := range m {
		p.eyeM.SetDoubleAt(i/3, i%3, v)
	}
	gocv.WarpAffineWithParams(p.grey, &p.eye, p.eyeM, image.Pt(liveness.PatchW, liveness.PatchH),
		gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	data, err := p.eye.DataPtrUint8()
	if err != nil || len(data) < len(out.Pix) {
		return
	}
	copy(out.Pix[:], data)
	out.Valid = true
}

func closest(rs []image.Rectangle, to image.Rectangle) image.Rectangle {
	c := to.Min.Add(to.Max)
	best, bd := rs[0], -1
	for _, r := range rs {
		d := r.Min.Add(r.Max).Sub(c)
		if dd := d.X*d.X + d.Y*d.Y; bd < 0 || dd < bd {
			best, bd = r, dd
		}
	}
	return best
}

// overlap is the intersection over union of a and b.
func overlap(a, b image.Rectangle) float64 {
	i := a.Intersect(b)
	ia := float64(i.Dx() * i.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - ia
	if u <= 0 {
		return 0
	}
	return ia / u
}

func largest(rs []image.Rectangle) image.Rectangle {
	best := rs[0]
	for _, r := range rs {
		if r.Dx()*r.Dy() > best.Dx()*best.Dy() {
			best = r
		}
	}
	return best
}

// hogToCascade turns a dlib HOG box into the box the frontal cascade
// would draw around the same face (measured on the validation faces:
// about 10 % larger and a tenth of its height higher), so the size gates
// and the track's box mean the same whichever detector found the face.
func hogToCascade(b image.Rectangle) image.Rectangle {
	w, h := b.Dx(), b.Dy()
	c := b.Min.Add(b.Max).Div(2)
	c.Y -= h / 10
	w, h = w*11/10, h*11/10
	return image.Rect(c.X-w/2, c.Y-h/2, c.X-w/2+w, c.Y-h/2+h)
}
