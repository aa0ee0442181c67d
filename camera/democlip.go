package camera

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"

	"certkiosk/assets"

	"gocv.io/x/gocv"
)

// ClipSize is the frame size of rendered clips, the size a webcam is asked for.
var ClipSize = image.Pt(640, 480)

// DriftOptions shape a clip of a still portrait moved the way a person holds
// still in front of a counter camera: a small damped random walk of
// position, rotation and distance.
type DriftOptions struct {
	Seconds float64 // clip length
	FPS     float64 // frame rate, 30 when zero
	Seed    int64   // same seed, same clip
	// Zoom scales portrait pixels to frame pixels, and Centre is the
	// portrait point placed at the frame's centre; zero values frame the
	// demo portrait's face at about 170 px, as a counter camera sees it.
	Zoom   float64
	Centre image.Point
}

func (o *DriftOptions) defaults() {
	if o.FPS == 0 {
		o.FPS = 30
	}
	if o.Zoom == 0 {
		o.Zoom = 170 / float64(assets.PortraitFace.Dx())
	}
	if o.Centre == (image.Point{}) {
		f := assets.PortraitFace
		o.Centre = image.Pt((f.Min.X+f.Max.X)/2, (f.Min.Y+f.Max.Y)/2+f.Dy()/3)
	}
}

// Drift is the per-frame pose of a drifting portrait.
type Drift struct {
	rng            *rand.Rand
	dx, dy, ang, s float64 // state
	vx, vy, va, vs float64 // velocities
}

// NewDrift starts a walk from the centre with the given seed.
func NewDrift(seed int64) *Drift { return &Drift{rng: rand.New(rand.NewSource(seed))} }

// Next advances one frame: pixels of shift, degrees of rotation, relative
// scale change. The walk is damped towards the centre so it never leaves
// the frame.
func (d *Drift) Next() (dx, dy, angle, scale float64) {
	step := func(x, v *float64, sigma, pull float64) {
		*v = 0.85**v + d.rng.NormFloat64()*sigma - pull**x
		*x += *v
	}
	step(&d.dx, &d.vx, 0.35, 0.01)
	step(&d.dy, &d.vy, 0.25, 0.01)
	step(&d.ang, &d.va, 0.05, 0.01)
	step(&d.s, &d.vs, 0.0006, 0.01)
	return d.dx, d.dy, d.ang, 1 + d.s
}

// PlacePortrait draws src onto dst (ClipSize, BGR) with src's point centre
// at the frame centre, scaled by zoom, then shifted, rotated and scaled by
// a drift pose. Pixels outside the portrait repeat its border.
func PlacePortrait(src gocv.Mat, dst *gocv.Mat, centre image.Point, zoom, dx, dy, angle, scale float64) {
	k := zoom * scale
	cx, cy := float64(centre.X), float64(centre.Y)
	rad := angle * math.Pi / 180
	a, b := k*math.Cos(rad), k*math.Sin(rad)
	// Map the portrait centre to the frame centre plus the shift.
	tx := float64(ClipSize.X)/2 + dx - (a*cx - b*cy)
	ty := float64(ClipSize.Y)/2 + dy - (b*cx + a*cy)
	m := gocv.NewMatWithSize(2, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i, v := range []float64{a, -b, tx, b, a, ty} {
		m.SetDoubleAt(i/3, i%3, v)
	}
	gocv.WarpAffineWithParams(src, dst, m, ClipSize, gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
}

// RenderDrift writes a clip of a still portrait drifting slightly, as MJPG
// in an AVI file. It is the demo camera (and, later, the "held photo"
// attack clip): a face that moves but never blinks or speaks.
func RenderDrift(portrait gocv.Mat, out string, o DriftOptions) error {
	o.defaults()
	n := int(o.Seconds * o.FPS)
	if n < 1 {
		return fmt.Errorf("render drift clip: %.2f s at %.0f fps is no frame", o.Seconds, o.FPS)
	}
	w, err := gocv.VideoWriterFile(out, "MJPG", o.FPS, ClipSize.X, ClipSize.Y, true)
	if err != nil {
		return fmt.Errorf("render drift clip %s: %w", out, err)
	}
	defer w.Close()
	if !w.IsOpened() {
		return fmt.Errorf("render drift clip %s: cannot open the video writer", out)
	}
	frame := gocv.NewMat()
	defer frame.Close()
	d := NewDrift(o.Seed)
	for i := 0; i < n; i++ {
		dx, dy, ang, scale := d.Next()
		PlacePortrait(portrait, &frame, o.Centre, o.Zoom, dx, dy, ang, scale)
		if err := w.Write(frame); err != nil {
			return fmt.Errorf("render drift clip %s: frame %d: %w", out, i, err)
		}
	}
	return nil
}

// DecodePortrait decodes an image file's bytes into a BGR Mat.
func DecodePortrait(data []byte) (gocv.Mat, error) {
	m, err := gocv.IMDecode(data, gocv.IMReadColor)
	if err != nil {
		return m, fmt.Errorf("decode portrait: %w", err)
	}
	if m.Empty() {
		m.Close()
		return gocv.NewMat(), fmt.Errorf("decode portrait: not an image")
	}
	return m, nil
}
