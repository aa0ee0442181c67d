package liveness

import (
	"math"
	"time"
)

// The appearance cue of a blink. On small, dim or compressed faces, with
// heavy or squinting lids, downcast gaze or glasses, the 68-point model
// often hardly follows the lid: EAR falls by 10–20 % in a blink, no more
// than its jitter on a still photo. The pixels change far more: as the
// lid comes down, the dark iris and pupil and the light sclera give way
// to skin. So each eye's patch (Frame.Eyes: aligned on the eye corners,
// so drift, distance and roll are taken out) is compared with the
// person's own open-eye template from the baseline, by normalised
// cross-correlation, which ignores brightness and contrast. On the
// validation faces 1 − NCC stays at 0.01–0.05 with open eyes and reaches
// 0.15–0.45 in a blink.

// AppearanceOptions shape the fused blink cue: the eyes' change (1 −
// NCC with the open-eye template) and EAR's fall, each measured in units
// of its own noise at the baseline, are added into one score. A blink is
// a short excursion of the score: neither cue alone need be strong, both
// must move, and together they must stand far above what landmark jitter
// and compression noise do on a still face.
type AppearanceOptions struct {
	Close, Open float64 // the score closes a blink above Close, reopens below Open
	MinChange   float64 // the eyes' change must pass this many noise units …
	MinFall     float64 // … and EAR must fall this many (neither cue alone)
	Cap         float64 // each cue adds at most this much to the score
	// Noise floors: the baseline is short, so its spreads are floored at
	// what a sharp, still face shows.
	ChangeFloor, FallFloor float64
	// Adapt is how fast the open-eye template and EAR level follow slow
	// changes (the head turning a little), per open frame.
	Adapt float64
}

// DefaultAppearance; see the README for how each limit was chosen.
var DefaultAppearance = AppearanceOptions{Close: 10, Open: 5, MinChange: 3, MinFall: 2.5, Cap: 12,
	ChangeFloor: 0.004, FallFloor: 0.03, Adapt: 0.05}

const eyePix = PatchW * PatchH

// eyeModel is the person's open eyes: templates and the noise of the
// change measure, both from the baseline frames.
type eyeModel struct {
	tmpl       [2][eyePix]float64
	med, scale float64 // median and robust spread of the change at baseline
	fall       float64 // robust spread of EAR / its median at baseline
	ok         bool
}

// newEyeModel builds templates from the baseline patches (per-pixel
// median, so a blink inside the baseline does not matter) and measures
// the change's noise on the same frames.
func newEyeModel(patches [][2]Patch, ears []float64) eyeModel {
	var m eyeModel
	if len(patches) < 3 {
		return m
	}
	col := make([]float64, len(patches))
	for k := range 2 {
		for i := range eyePix {
			for j, p := range patches {
				col[j] = float64(p[k].Pix[i])
			}
			m.tmpl[k][i] = median(col)
		}
	}
	m.ok = true
	ch := make([]float64, 0, len(patches))
	for _, p := range patches {
		if c, ok := m.change(&p); ok {
			ch = append(ch, c)
		}
	}
	if len(ch) < 3 {
		m.ok = false
		return m
	}
	m.med, m.scale = median(ch), spread(ch)
	if e := median(ears); e > 0 {
		r := make([]float64, len(ears))
		for i, x := range ears {
			r[i] = x / e
		}
		m.fall = spread(r)
	}
	return m
}

// spread is the robust standard deviation of v: 1.4826 × its MAD.
func spread(v []float64) float64 {
	m := median(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	return 1.4826 * median(dev)
}

// change is the mean over both eyes of 1 − NCC with the templates.
func (m *eyeModel) change(eyes *[2]Patch) (float64, bool) {
	if !m.ok || !eyes[0].Valid || !eyes[1].Valid {
		return 0, false
	}
	return (2 - ncc(&m.tmpl[0], &eyes[0]) - ncc(&m.tmpl[1], &eyes[1])) / 2, true
}

// adapt moves the templates a step towards an open frame's patches.
func (m *eyeModel) adapt(eyes *[2]Patch, rate float64) {
	for k := range 2 {
		for i, v := range eyes[k].Pix {
			m.tmpl[k][i] += rate * (float64(v) - m.tmpl[k][i])
		}
	}
}

// ncc is the zero-mean normalised cross-correlation of a template and a
// patch: 1 for the same picture at any brightness and contrast.
func ncc(t *[eyePix]float64, p *Patch) float64 {
	var mt, mp float64
	for i := range eyePix {
		mt += t[i]
		mp += float64(p.Pix[i])
	}
	mt /= eyePix
	mp /= eyePix
	var stp, stt, spp float64
	for i := range eyePix {
		a, b := t[i]-mt, float64(p.Pix[i])-mp
		stp += a * b
		stt += a * a
		spp += b * b
	}
	if stt == 0 || spp == 0 {
		return 0
	}
	return stp / math.Sqrt(stt*spp)
}

// appearanceBlinks finds blinks in the fused score.
type appearanceBlinks struct {
	opt    AppearanceOptions
	blink  BlinkOptions // durations and the gap limit
	model  eyeModel
	earRef float64 // open-eye EAR, adapting
	sc, sf float64 // noise units of change and of EAR's relative fall

	armed      bool
	closed     bool
	start      time.Duration
	startFrame int
	minEAR     float64
	minFrame   int
	peakC      float64
	peakF      float64
	lastSeen   time.Duration
	seen       bool
}

func newAppearanceBlinks(m eyeModel, baseEAR float64, opt AppearanceOptions, b BlinkOptions) *appearanceBlinks {
	return &appearanceBlinks{opt: opt, blink: b, model: m, earRef: baseEAR,
		sc: math.Max(m.scale, opt.ChangeFloor), sf: math.Max(m.fall, opt.FallFloor)}
}

// score is the fused score of a frame and its two parts.
func (d *appearanceBlinks) score(c, ear float64) (s, zc, zf float64) {
	zc = math.Max(0, (c-d.model.med)/d.sc)
	zf = math.Max(0, (1-ear/d.earRef)/d.sf)
	return math.Min(zc, d.opt.Cap) + math.Min(zf, d.opt.Cap), zc, zf
}

// observe takes a frame with a face and returns the blink that ended on
// it, if one did.
func (d *appearanceBlinks) observe(f *Frame, ear float64) (Blink, bool) {
	c, ok := d.model.change(&f.Eyes)
	if !ok || d.earRef <= 0 {
		d.missing(f.Time)
		return Blink{}, false
	}
	if d.seen && d.closed && f.Time-d.lastSeen > d.blink.MaxGap {
		d.closed = false
	}
	d.seen, d.lastSeen = true, f.Time
	s, zc, zf := d.score(c, ear)
	if !d.armed {
		// Only eyes seen open after the baseline can start a blink.
		d.armed = s < d.opt.Open
		return Blink{}, false
	}
	if !d.closed {
		if s > d.opt.Close {
			d.closed, d.start, d.startFrame, d.minEAR, d.minFrame, d.peakC, d.peakF = true, f.Time, f.Index, ear, f.Index, zc, zf
			return Blink{}, false
		}
		if s < d.opt.Open {
			// Open: follow slow changes of the eyes' look and of EAR.
			d.model.adapt(&f.Eyes, d.opt.Adapt)
			d.earRef += d.opt.Adapt * (ear - d.earRef)
		}
		return Blink{}, false
	}
	if ear < d.minEAR {
		d.minEAR, d.minFrame = ear, f.Index
	}
	d.peakC, d.peakF = math.Max(d.peakC, zc), math.Max(d.peakF, zf)
	if s >= d.opt.Open {
		if f.Time-d.start > d.blink.MaxDur {
			// Eyes kept shut (or the view changed for good): no blink;
			// wait for open eyes again.
			d.closed, d.armed = false, false
		}
		return Blink{}, false
	}
	d.closed = false
	dur := f.Time - d.start
	if dur < d.blink.MinDur || dur > d.blink.MaxDur || d.peakC < d.opt.MinChange || d.peakF < d.opt.MinFall {
		return Blink{}, false
	}
	return Blink{Start: d.start, End: f.Time, StartFrame: d.startFrame, EndFrame: f.Index, Frame: d.minFrame, MinRatio: d.minEAR / d.earRef}, true
}

// changeZ is the change of f's eye patches from the open-eye
// templates in noise units (NaN when the patches are not there).
func (d *appearanceBlinks) changeZ(f *Frame) float64 {
	c, ok := d.model.change(&f.Eyes)
	if !ok {
		return math.NaN()
	}
	return math.Max(0, (c-d.model.med)/d.sc)
}

func (d *appearanceBlinks) missing(t time.Duration) {
	if d.closed && d.seen && t-d.lastSeen > d.blink.MaxGap {
		d.closed = false
	}
}

// overlaps reports whether two blinks are the same lid movement seen by
// both cues.
func overlaps(a, b Blink) bool {
	const slack = 100 * time.Millisecond
	return a.Start <= b.End+slack && b.Start <= a.End+slack
}

// mouthModel is the person's closed mouth: the template of the mouth
// patch and the noise of its change and of MAR, from the baseline.
type mouthModel struct {
	tmpl       [eyePix]float64
	med, scale float64 // the change's median and robust spread
	marSpread  float64 // MAR's robust spread
	ok         bool
}

func newMouthModel(patches []Patch, mars []float64) *mouthModel {
	if len(patches) < 3 {
		return nil
	}
	m := &mouthModel{ok: true}
	col := make([]float64, len(patches))
	for i := range eyePix {
		for j, p := range patches {
			col[j] = float64(p.Pix[i])
		}
		m.tmpl[i] = median(col)
	}
	ch := make([]float64, len(patches))
	for i := range patches {
		ch[i] = 1 - ncc(&m.tmpl, &patches[i])
	}
	m.med, m.scale, m.marSpread = median(ch), spread(ch), spread(mars)
	return m
}
