package liveness

import "time"

// BlinkOptions shape the blink detector. Thresholds are fractions of the
// person's own open-eye EAR, so glasses or a smile (open EAR near 0.2)
// do not break it.
type BlinkOptions struct {
	CloseFrac float64       // eyes count as closing below CloseFrac × baseline
	OpenFrac  float64       // and as open again above OpenFrac × baseline
	MinDur    time.Duration // shortest blink (closing to reopening)
	MaxDur    time.Duration // longest; eyes shut longer are not a blink
	MaxGap    time.Duration // face lost longer than this mid-blink cancels it
	// MinDrop is the smallest absolute fall of EAR below the baseline that
	// can start a blink. It only matters for a low baseline: at the lowest
	// open-eye EAR seen in practice (≈ 0.2, glasses or a smile) CloseFrac
	// already asks for 0.05; below that the "open" eyes are nearly shut
	// and relative landmark jitter must not pass for blinks.
	MinDrop float64
	// NoiseK: the fall must also exceed NoiseK times the person's own
	// EAR jitter at the baseline (relative robust spread, see
	// SetNoise): on a small, blurred or compressed face, or eyes held
	// shut, the landmarks jitter by 20–30 % of EAR, and a fixed fraction
	// would take that for blinks.
	NoiseK float64
}

// DefaultBlink follows the measured blink: EAR falls to about 45 % of its
// open value and a blink lasts about 100–400 ms. MinDur is 60 ms so that a
// blink seen closed in two frames at 30 fps (66.7 ms) counts.
var DefaultBlink = BlinkOptions{
	CloseFrac: 0.75,
	OpenFrac:  0.88,
	MinDur:    60 * time.Millisecond,
	MaxDur:    500 * time.Millisecond,
	MaxGap:    200 * time.Millisecond,
	MinDrop:   0.05,
	NoiseK:    4,
}

// Blink is one detected blink.
type Blink struct {
	Start, End           time.Duration // first closed frame, first reopened frame
	StartFrame, EndFrame int
	Frame                int     // where the eyes were most closed
	MinRatio             float64 // lowest EAR / baseline inside it (the eye-state cue: 1 − its peak)
}

// BlinkDetector finds blinks in a stream of eye aspect ratios against an
// open-eye baseline. Feed it every frame with a face, in time order.
type BlinkDetector struct {
	opt      BlinkOptions
	baseline float64
	noise    float64 // relative EAR jitter at the baseline

	closed     bool
	start      time.Duration
	startFrame int
	minRatio   float64
	minFrame   int
	lastSeen   time.Duration
	seen       bool
}

// NewBlinkDetector starts a detector for a person whose open-eye EAR is
// baseline.
func NewBlinkDetector(baseline float64, opt BlinkOptions) *BlinkDetector {
	return &BlinkDetector{opt: opt, baseline: baseline}
}

// SetNoise tells the detector the person's EAR jitter: the robust
// standard deviation of EAR / baseline over the baseline frames.
func (d *BlinkDetector) SetNoise(sigma float64) { d.noise = sigma }

// Observe takes the EAR of frame index at time t and returns the blink that
// ended on this frame, if one did.
func (d *BlinkDetector) Observe(index int, t time.Duration, ear float64) (Blink, bool) {
	if d.seen && d.closed && t-d.lastSeen > d.opt.MaxGap {
		d.closed = false // lost the face mid-blink: cannot tell what happened
	}
	d.seen, d.lastSeen = true, t
	r := 0.0
	if d.baseline > 0 {
		r = ear / d.baseline
	}
	if !d.closed {
		if r < d.opt.CloseFrac && d.baseline-ear >= d.opt.MinDrop && 1-r >= d.opt.NoiseK*d.noise {
			d.closed, d.start, d.startFrame, d.minRatio, d.minFrame = true, t, index, r, index
		}
		return Blink{}, false
	}
	if r < d.minRatio {
		d.minRatio, d.minFrame = r, index
	}
	if r <= d.opt.OpenFrac {
		return Blink{}, false
	}
	d.closed = false
	dur := t - d.start
	if dur < d.opt.MinDur || dur > d.opt.MaxDur {
		return Blink{}, false
	}
	return Blink{Start: d.start, End: t, StartFrame: d.startFrame, EndFrame: index, Frame: d.minFrame, MinRatio: d.minRatio}, true
}

// Missing tells the detector a frame had no usable face.
func (d *BlinkDetector) Missing(t time.Duration) {
	if d.closed && d.seen && t-d.lastSeen > d.opt.MaxGap {
		d.closed = false
	}
}
