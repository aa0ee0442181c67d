package liveness

import (
	"math"
	"time"
)

// SpeechCheck judges whether the person read the code aloud. The lips
// check (LipCheck) is the one built in; an audio check (voice activity in
// step with the lips) or speech recognition can implement the same
// interface and be combined with AllSpeech, without touching the session.
type SpeechCheck interface {
	// Start begins a challenge for code with the person's baseline, at
	// the prompt's time.
	Start(code string, b Baseline, prompt time.Duration)
	// Frame feeds one video frame (with or without a face).
	Frame(f *Frame)
	// Decide reports the judgement so far. final is true when no more
	// input will come (end of the clip or time limit).
	Decide(final bool) SpeechResult
}

// SpeechResult is a speech check's judgement.
type SpeechResult struct {
	Done   bool   // a judgement is made; Pass and Reason hold
	Pass   bool   //
	Reason string // machine code when failed, e.g. no_speech
	Cycles int    // mouth open–close cycles counted
	Check  string // which check judged: CheckLips or CheckLipsVoice
}

// LipOptions shape the lip check. MAR is already normalised by the mouth
// width, so the thresholds are absolute rises above the person's
// closed-mouth baseline (which can be near 0 for closed lips or near 0.2
// with teeth showing, so a fraction of it would not do).
type LipOptions struct {
	OpenRise    float64       // mouth open when MAR > baseline + OpenRise
	CloseRise   float64       // closed again when MAR < baseline + CloseRise
	MinOpen     time.Duration // shortest open phase of a syllable
	MaxOpen     time.Duration // longest; a yawn or a held-open mouth is not speech
	CyclesPer   float64       // cycles needed per digit
	MinVariance float64       // minimum standard deviation of MAR over the window
	// With the mouth's pixels (Frame.Mouth and a baseline template),
	// MAR's rise and the mouth patch's change (1 − NCC with the closed
	// mouth), each in units of its own baseline noise (floored at
	// NoiseFloorMAR and NoiseFloorPix), are added into one score, as
	// for blinks: a syllable opens above OpenScore, with the pixels
	// moving at least MinPixel units, and closes below CloseScore. The
	// MAR thresholds above then serve only faces without patches.
	OpenScore, CloseScore        float64
	MinPixel, Cap                float64
	MinMAR                       float64 // MAR must rise this many noise units in a syllable
	NoiseFloorMAR, NoiseFloorPix float64
}

// DefaultLips: a spoken syllable opens the inner lips by about 0.2 MAR
// (0.16 → 0.35 measured); landmark jitter on a still face is a few
// hundredths.
var DefaultLips = LipOptions{
	OpenRise:    0.09,
	CloseRise:   0.05,
	MinOpen:     60 * time.Millisecond,
	MaxOpen:     1500 * time.Millisecond,
	CyclesPer:   0.6,
	MinVariance: 0.03,
	OpenScore:   10, CloseScore: 5, MinPixel: 3, MinMAR: 1.5, Cap: 12,
	NoiseFloorMAR: 0.02, NoiseFloorPix: 0.004,
}

// LipCheck judges speech from inner-lip movement.
type LipCheck struct {
	opt    LipOptions
	need   int
	base   float64
	mouth  *mouthModel
	prompt time.Duration

	mar, pix  cycler // the MAR rule and the fused rule, counted apart
	n         int
	sum, sum2 float64
}

// cycler counts open–close cycles of one rule.
type cycler struct {
	open    bool
	openAt  time.Duration
	cycles  int
	peakMAR float64 // the open phase's highest MAR rise, in noise units
}

// step advances the cycler; moved says the lip landmarks moved enough
// in the open phase (always true for the MAR rule).
func (y *cycler) step(t time.Duration, opening, closing bool, opt *LipOptions) {
	switch {
	case !y.open && opening:
		y.open, y.openAt = true, t
	case y.open && closing:
		y.open = false
		if d := t - y.openAt; d >= opt.MinOpen && d <= opt.MaxOpen {
			y.cycles++
		}
	}
}

// NewLipCheck returns a lip check with opt.
func NewLipCheck(opt LipOptions) *LipCheck { return &LipCheck{opt: opt} }

// Start implements SpeechCheck.
func (c *LipCheck) Start(code string, b Baseline, prompt time.Duration) {
	*c = LipCheck{opt: c.opt, base: b.MAR, mouth: b.mouth, prompt: prompt}
	c.need = int(math.Ceil(c.opt.CyclesPer * float64(len(code))))
	if c.need < 1 {
		c.need = 1
	}
}

// Frame implements SpeechCheck.
func (c *LipCheck) Frame(f *Frame) {
	mar, ok := f.MouthMAR()
	if !ok || f.Time < c.prompt {
		return
	}
	c.n++
	c.sum += mar
	c.sum2 += mar * mar
	rise := mar - c.base
	// The MAR rule: absolute rises over the closed mouth, for faces whose
	// lip landmarks follow speech well.
	c.mar.step(f.Time, rise > c.opt.OpenRise, rise < c.opt.CloseRise, &c.opt)
	if c.mouth == nil || !f.Mouth.Valid {
		return
	}
	// The fused rule, for faces whose landmarks hardly follow the lips:
	// MAR's rise and the mouth pixels' change in noise units.
	zm := math.Max(0, rise/math.Max(c.mouth.marSpread, c.opt.NoiseFloorMAR))
	zp := math.Max(0, (1-ncc(&c.mouth.tmpl, &f.Mouth)-c.mouth.med)/math.Max(c.mouth.scale, c.opt.NoiseFloorPix))
	s := math.Min(zm, c.opt.Cap) + math.Min(zp, c.opt.Cap)
	opening := s > c.opt.OpenScore && zp >= c.opt.MinPixel
	if c.pix.open || opening {
		c.pix.peakMAR = math.Max(c.pix.peakMAR, zm)
	}
	closing := s < c.opt.CloseScore
	if c.pix.open && closing && c.pix.peakMAR < c.opt.MinMAR {
		// The lip landmarks follow a spoken syllable at least a little;
		// pixels that change while they stay put are the view changing
		// (a photo tilted, the head at the pose limit), not speech.
		c.pix.open = false
	}
	if closing {
		defer func() { c.pix.peakMAR = 0 }()
	}
	c.pix.step(f.Time, opening, closing, &c.opt)
}

// Decide implements SpeechCheck: either rule may find the syllables;
// the MAR rule also needs MAR to vary (its guard against jitter), the
// fused rule has its own (both cues must move).
func (c *LipCheck) Decide(final bool) SpeechResult {
	r := SpeechResult{Cycles: max(c.mar.cycles, c.pix.cycles), Check: CheckLips}
	if (c.mar.cycles >= c.need && c.stddev() >= c.opt.MinVariance) || c.pix.cycles >= c.need {
		r.Done, r.Pass = true, true
		return r
	}
	if final {
		r.Done, r.Reason = true, "no_speech"
	}
	return r
}

func (c *LipCheck) stddev() float64 {
	if c.n < 2 {
		return 0
	}
	m := c.sum / float64(c.n)
	v := c.sum2/float64(c.n) - m*m
	if v < 0 {
		return 0
	}
	return math.Sqrt(v)
}

// AllSpeech combines checks: it passes when every check passes and fails
// with the first failure. Cycles come from the first check.
func AllSpeech(checks ...SpeechCheck) SpeechCheck { return allSpeech(checks) }

type allSpeech []SpeechCheck

func (a allSpeech) Start(code string, b Baseline, prompt time.Duration) {
	for _, c := range a {
		c.Start(code, b, prompt)
	}
}

func (a allSpeech) Frame(f *Frame) {
	for _, c := range a {
		c.Frame(f)
	}
}

func (a allSpeech) Decide(final bool) SpeechResult {
	out := SpeechResult{Done: true, Pass: true}
	for i, c := range a {
		r := c.Decide(final)
		if i == 0 {
			out.Cycles, out.Check = r.Cycles, r.Check
		}
		switch {
		case r.Done && !r.Pass:
			return SpeechResult{Done: true, Reason: r.Reason, Cycles: out.Cycles, Check: out.Check}
		case !r.Done:
			out.Done, out.Pass = false, false
		}
	}
	return out
}
