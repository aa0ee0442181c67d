package liveness

import (
	"math"
	"time"

	"certkiosk"
)

// The learned eye-state cue of a blink (issue 22). Frame.EyeClosed holds
// each eye's probability of being closed from a small CNN (liveness/face).
// On real footage it is ≈ 0 on open eyes and 0.96–1.00 on every blink
// frame, where the 68 landmarks often hardly follow the lid; a downward
// gaze with lowered lids makes one eye read closed and the other open
// (mean ≈ 0.5, for as long as the gaze lasts). So a frame's score is the
// lower of the two eyes (both must look closed), or the one eye seen when
// the head is turned so far that the other is foreshortened; a blink is
// a short episode of that score: it rises from below a low mark above a
// high mark and falls below the low mark again within 40–500 ms.

// ClosedOptions shape the eye-state blink cue.
type ClosedOptions struct {
	// Low and High are the marks for a person whose open eyes score 0;
	// they rise with the person's own open-eye level (median score over
	// the baseline, see marks), up to MaxLow and MaxHigh.
	Low, High       float64
	MaxLow, MaxHigh float64
	// LevelK: the low mark is at least the open level plus LevelK times
	// its robust spread at the baseline.
	LevelK float64
	// MinDur and MaxDur bound an episode: from the first frame above the
	// low mark to the first frame back below it.
	MinDur, MaxDur time.Duration
	// MaxGap: the face lost longer than this mid-episode cancels it.
	MaxGap time.Duration
	// MinChange: when the eye patches are there, they must change from
	// the open-eye template by this many noise units somewhere in the
	// episode (the pixel cue's own measure, eyes.go). A lid coming down
	// changes them far more; the model's noise on a still, compressed,
	// upscaled photo (one or two frames read 0.95 with nothing moving)
	// changes nothing.
	MinChange float64
	// MaxJump is the largest change of the face's rigid shape (see
	// ShapeChange) between two frames in and just before a blink, for
	// every cue (Session.count): a photo swapped for another of eyes
	// shut changes the whole face at once, a blink only the lids. On the
	// real footage consecutive frames differ by ≤ 0.033 (a phone selfie
	// moving), on rendered clips by ≤ 0.011.
	MaxJump float64
}

// DefaultClosed: blinks last 100–400 ms (40 ms lets a blink seen in one
// closed frame at 25 fps count); the marks leave the look-down plateau
// (one eye ≈ 1, the other ≈ 0: score ≈ 0) and open-eye noise of a small,
// upscaled face (0–0.4) well outside.
var DefaultClosed = ClosedOptions{
	Low: 0.3, High: 0.85, MaxLow: 0.6, MaxHigh: 0.95, LevelK: 4,
	MinDur: 40 * time.Millisecond, MaxDur: 500 * time.Millisecond, MaxGap: 200 * time.Millisecond,
	MinChange: 3,
	MaxJump:   0.06,
}

// EyesClosedScore is the frame's eye-closed score: the lower of the two
// eyes' probabilities when both are seen, else the one seen.
func (f *Frame) EyesClosedScore() (float64, bool) {
	switch {
	case f.EyeSeen[0] && f.EyeSeen[1]:
		return math.Min(f.EyeClosed[0], f.EyeClosed[1]), true
	case f.EyeSeen[0]:
		return f.EyeClosed[0], true
	case f.EyeSeen[1]:
		return f.EyeClosed[1], true
	}
	return 0, false
}

// closedBlinks finds blinks in the eye-closed score.
type closedBlinks struct {
	opt       ClosedOptions
	low, high float64

	armed      bool
	in         bool // inside an episode (score above the low mark)
	start      time.Duration
	startFrame int
	peak       float64
	peakFrames []int   // frames at the peak's level, for the blink's frame
	peakZ      float64 // the eye patches' largest change in the episode (NaN: no patches)
	lastSeen   time.Duration
	seen       bool
}

// newClosedBlinks starts the cue for a person whose baseline scores are
// level (median) with robust standard deviation sd, each eye's
// too (eyes[k] holds eye k's baseline probabilities, image left first);
// ok is false when the model cannot tell this person's open eyes from
// closed ones: the level and its noise, or one eye's, reach past MaxLow
// (eyes held shut at the baseline read 0.2–1.0 on a rendered face; on a
// turned, upscaled photo one open eye read ≈ 1 throughout, leaving the
// score to the other eye's noise). The landmark and pixel cues then judge
// alone. An eye seen in under half the baseline's frames is the far eye
// of a turned head and is not held to this. Nor can the model be trusted
// when the score rose above the low mark more than once in the 1 s
// baseline (scores in time order): a person blinks at most once in it,
// while on a photo turned near the pose limit the model flipped between
// 0 and 1 on five separate frames.
func newClosedBlinks(scores []float64, eyes [2][]float64, opt ClosedOptions) (*closedBlinks, bool) {
	level, sd := median(scores), spread(scores)
	low := math.Max(opt.Low, level+opt.LevelK*sd)
	if low > opt.MaxLow {
		return nil, false
	}
	rises, above := 0, false
	for _, v := range scores {
		if v >= low && !above {
			rises++
		}
		above = v >= low
	}
	if rises > 1 {
		return nil, false
	}
	frames := len(scores)
	for _, e := range eyes {
		if 2*len(e) >= frames && median(e)+opt.LevelK*spread(e) > opt.MaxLow {
			return nil, false
		}
	}
	high := math.Min(math.Max(opt.High, low+(opt.High-opt.Low)/2), opt.MaxHigh)
	return &closedBlinks{opt: opt, low: low, high: high}, true
}

// observe takes a frame with a usable face and the change of its eye
// patches in noise units (NaN without patches), and returns the blink
// that ended on it, if one did.
func (d *closedBlinks) observe(f *Frame, z float64) (Blink, bool) {
	s, ok := f.EyesClosedScore()
	if !ok || !f.HasShape {
		d.missing(f.Time)
		return Blink{}, false
	}
	if d.seen && d.in && f.Time-d.lastSeen > d.opt.MaxGap {
		d.in = false
	}
	d.seen, d.lastSeen = true, f.Time
	if !d.armed {
		// Only eyes seen open after the baseline can start a blink.
		d.armed = s < d.low
		return Blink{}, false
	}
	if !d.in {
		if s >= d.low {
			d.in, d.start, d.startFrame, d.peak, d.peakFrames = true, f.Time, f.Index, s, append(d.peakFrames[:0], f.Index)
			d.peakZ = z
		}
		return Blink{}, false
	}
	if s >= d.low {
		d.peakZ = maxNaN(d.peakZ, z)
		switch {
		case s > d.peak+0.02:
			d.peak, d.peakFrames = s, append(d.peakFrames[:0], f.Index)
		case s >= d.peak-0.02:
			d.peakFrames = append(d.peakFrames, f.Index)
			d.peak = math.Max(d.peak, s)
		}
		return Blink{}, false
	}
	// Back below the low mark: the episode ends here.
	d.in = false
	dur := f.Time - d.start
	if d.peak < d.high || dur < d.opt.MinDur || dur > d.opt.MaxDur || d.peakZ < d.opt.MinChange {
		return Blink{}, false
	}
	return Blink{Start: d.start, End: f.Time, StartFrame: d.startFrame, EndFrame: f.Index,
		Frame: d.peakFrames[len(d.peakFrames)/2], MinRatio: 1 - d.peak}, true
}

// maxNaN is the larger of a and b, ignoring a NaN (NaN when both are).
func maxNaN(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return math.Max(a, b)
}

func (d *closedBlinks) missing(t time.Duration) {
	if d.in && d.seen && t-d.lastSeen > d.opt.MaxGap {
		d.in = false
	}
}

// rigidPoints are landmarks that neither blinks nor speech move: the
// upper jaw line, the nose and the eye corners.
var rigidPoints = [...]int{0, 1, 2, 14, 15, 16, 27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45}

// ShapeChange is how much the face's rigid shape changed between two sets
// of landmarks: the root mean square distance of the rigid points after
// the best similarity transform (translation, rotation, scale) takes a
// onto b, over the distance between the outer eye corners. A head moving,
// turning a little or coming closer changes it by ≈ 0.01–0.03; a photo
// swapped for another, even of the same person, by much more.
func ShapeChange(a, b *[68]Point) float64 {
	const n = float64(len(rigidPoints))
	var ma, mb Point
	for _, i := range rigidPoints {
		ma.X += a[i].X
		ma.Y += a[i].Y
		mb.X += b[i].X
		mb.Y += b[i].Y
	}
	ma.X, ma.Y, mb.X, mb.Y = ma.X/n, ma.Y/n, mb.X/n, mb.Y/n
	// Least squares similarity in complex form: b ≈ z·a, z = Σ conj(a)·b / Σ |a|².
	var sre, sim, saa float64
	for _, i := range rigidPoints {
		ax, ay := a[i].X-ma.X, a[i].Y-ma.Y
		bx, by := b[i].X-mb.X, b[i].Y-mb.Y
		sre += ax*bx + ay*by
		sim += ax*by - ay*bx
		saa += ax*ax + ay*ay
	}
	iod := dist(b[36], b[45])
	if saa == 0 || iod == 0 {
		return math.Inf(1)
	}
	zr, zi := sre/saa, sim/saa
	var ss float64
	for _, i := range rigidPoints {
		ax, ay := a[i].X-ma.X, a[i].Y-ma.Y
		bx, by := b[i].X-mb.X, b[i].Y-mb.Y
		dx, dy := zr*ax-zi*ay-bx, zi*ax+zr*ay-by
		ss += dx*dx + dy*dy
	}
	return math.Sqrt(ss/n) / iod
}

// EyeNeed says which eyes the eye-state model must read on the next frame.
// The model costs ≈ 0.3 ms per eye on one core (liveness/face's
// BenchmarkEyeState), so it reads only what the session will use: nothing
// in digits mode, while the person is still getting into position, or
// when the baseline found that the model cannot tell this person's open
// eyes from closed ones; both eyes through the baseline (each eye's level
// is measured); after it, the nearer eye first and the other only when
// the first reads at least Above. The frame's score is the lower of the
// two eyes, so when one eye reads under the low mark the score is under
// it whatever the other says: the same blinks are found.
type EyeNeed struct {
	Any  bool // read at all
	Both bool // read both eyes
	// Above: with Any and not Both, read the second eye only when the
	// first reads at least this (the low mark).
	Above float64
}

// Or is what two sessions judging the same frames need together.
func (n EyeNeed) Or(o EyeNeed) EyeNeed {
	switch {
	case !n.Any:
		return o
	case !o.Any:
		return n
	}
	return EyeNeed{Any: true, Both: n.Both || o.Both, Above: math.Min(n.Above, o.Above)}
}

// EyeNeed is what the session will use of the eye-state model on the
// next frame it observes.
func (s *Session) EyeNeed() EyeNeed {
	if s.cfg.Mode != certkiosk.MethodBlink || s.cfg.NoClosed {
		return EyeNeed{}
	}
	switch s.state {
	case StatePositioning:
		// Only a frame that may start the baseline is measured.
		if s.settled+1 < s.cfg.SettleFrames {
			return EyeNeed{}
		}
		return EyeNeed{Any: true, Both: true}
	case StateBaseline:
		return EyeNeed{Any: true, Both: true}
	case StatePrompt, StateChallenge:
		if s.closed == nil {
			return EyeNeed{}
		}
		return EyeNeed{Any: true, Above: s.closed.low}
	}
	return EyeNeed{}
}
