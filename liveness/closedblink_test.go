package liveness

import (
	"testing"

	"certkiosk"
)

// eyeSynth is a still face (EAR steady, so only the eye-state cue can
// see a blink) whose eyes' closed probabilities follow p0 and p1; shape,
// when set, edits a frame's landmarks.
type eyeSynth struct {
	n      int
	p0, p1 func(i int) float64 // nil: the eye is not seen
	shape  func(i int, lm *[68]Point)
	// lids, when set, gives the frames eye patches: the open eye's, or
	// when lids(i) another picture (the lid down).
	lids func(i int) bool
}

// texPatch is a textured patch; seed picks the texture.
func texPatch(seed int) Patch {
	p := Patch{Valid: true}
	x := uint32(seed*7919 + 1)
	for i := range p.Pix {
		x = x*1664525 + 1013904223
		p.Pix[i] = uint8(x >> 24)
	}
	return p
}

func (s eyeSynth) run(t *testing.T) Result {
	t.Helper()
	sess, err := NewSession(Config{Mode: certkiosk.MethodBlink})
	if err != nil {
		t.Fatal(err)
	}
	base := synth{n: s.n}
	for i := 0; i < s.n; i++ {
		f := base.frame(i)
		if s.p0 != nil {
			f.EyeClosed[0], f.EyeSeen[0] = s.p0(i), true
		}
		if s.p1 != nil {
			f.EyeClosed[1], f.EyeSeen[1] = s.p1(i), true
		}
		if s.shape != nil {
			s.shape(i, &f.Landmarks)
		}
		if s.lids != nil {
			f.Eyes = [2]Patch{texPatch(1), texPatch(2)}
			if s.lids(i) {
				f.Eyes = [2]Patch{texPatch(3), texPatch(4)}
			}
		}
		sess.Observe(f)
	}
	return sess.Finish()
}

// closing is a closed-probability curve of blinks: 0.02 open, the
// closed frames at 0.97–1 starting at the given frames.
func closing(frames int, starts ...int) func(int) float64 {
	return func(i int) float64 {
		for _, s := range starts {
			if k := i - s; k >= 0 && k < frames {
				return 0.97 + 0.01*float64(k%3)
			}
		}
		return 0.02
	}
}

func TestEyeStateBlinksPass(t *testing.T) {
	r := eyeSynth{n: 150, p0: closing(3, 50, 90), p1: closing(3, 50, 90)}.run(t)
	if r.Verdict != certkiosk.VerdictPass || len(r.Blinks) != 2 {
		t.Fatalf("%s %q with %d blinks, want pass with 2", r.Verdict, r.Reason, len(r.Blinks))
	}
	for k, want := range []int{51, 91} {
		if r.Blinks[k].Frame != want {
			t.Errorf("blink %d at frame %d, want %d (the middle closed frame)", k, r.Blinks[k].Frame, want)
		}
	}
}

// With the eye patches there, the model's "closed" must come with the
// lids' pixels changing: the model's noise on a still photo moves none.
func TestEyeStateNeedsThePixelsToChange(t *testing.T) {
	p := closing(3, 50, 90)
	closed := func(i int) bool { return p(i) > 0.5 }
	r := eyeSynth{n: 150, p0: p, p1: p, lids: closed}.run(t)
	if r.Verdict != certkiosk.VerdictPass || len(r.Blinks) != 2 {
		t.Errorf("lids moving: %s %q with %d blinks, want pass with 2", r.Verdict, r.Reason, len(r.Blinks))
	}
	r = eyeSynth{n: 150, p0: p, p1: p, lids: func(int) bool { return false }}.run(t)
	if r.Verdict != certkiosk.VerdictFail {
		t.Errorf("still pixels: %s with %d blinks, want no_blink", r.Verdict, len(r.Blinks))
	}
}

func TestEyeStateOneVisibleEye(t *testing.T) {
	// Head turned: only the near eye is judged.
	r := eyeSynth{n: 150, p1: closing(4, 50, 90)}.run(t)
	if r.Verdict != certkiosk.VerdictPass {
		t.Fatalf("%s %q, want pass on the visible eye", r.Verdict, r.Reason)
	}
}

func TestEyeStateNonBlinks(t *testing.T) {
	plateau := func(i int) float64 {
		switch {
		case i >= 62 && i < 64:
			return 0.9
		case i >= 50 && i < 90:
			return 0.5
		}
		return 0.02
	}
	oneEye := func(i int) float64 { // looking down: one eye reads closed
		if i >= 50 && i < 80 {
			return 1
		}
		return 0
	}
	swapped := func(i int, lm *[68]Point) {
		if i >= 50 && i < 54 { // another photo: a longer nose
			for k := 27; k <= 35; k++ {
				lm[k].Y += 15
			}
		}
	}
	cases := map[string]eyeSynth{
		"look-down plateau":    {n: 150, p0: plateau, p1: plateau},
		"one eye reads closed": {n: 150, p0: oneEye, p1: func(int) float64 { return 0 }},
		"eyes held shut":       {n: 150, p0: func(int) float64 { return 1 }, p1: func(int) float64 { return 1 }},
		"shut after baseline":  {n: 150, p0: closing(200, 45), p1: closing(200, 45)},
		"closed 600 ms":        {n: 150, p0: closing(18, 50, 100), p1: closing(18, 50, 100)},
		"one frame":            {n: 150, p0: closing(1, 50, 90), p1: closing(1, 50, 90)},
		"still photo":          {n: 150, p0: func(i int) float64 { return 0.02 + 0.01*float64(i%5) }, p1: func(int) float64 { return 0.03 }},
		// A turned photo: one open eye reads closed throughout, the
		// other's noise spikes.
		"one eye stuck closed": {n: 150, p0: closing(2, 50, 90), p1: func(int) float64 { return 0.99 }},
		// The model flips on a face it cannot read, in the baseline too.
		"flipping":      {n: 150, p0: closing(1, 8, 14, 20, 50, 51, 90, 91), p1: closing(1, 8, 14, 20, 50, 51, 90, 91)},
		"photo swapped": {n: 150, p0: closing(4, 50, 90), p1: closing(4, 50, 90), shape: swapped},
	}
	for name, s := range cases {
		if name == "photo swapped" {
			// The second "blink" is a swap too.
			s.shape = func(i int, lm *[68]Point) { swapped(i, lm); swapped(i-40, lm) }
		}
		r := s.run(t)
		if r.Verdict != certkiosk.VerdictFail {
			t.Errorf("%s: %s with %d blinks, want no_blink", name, r.Verdict, len(r.Blinks))
		}
	}
}

func TestShapeChange(t *testing.T) {
	a := face68(0.3, 0.15)
	// Moved, turned in the image and scaled: the same shape.
	var b [68]Point
	for i, p := range a {
		b[i] = Point{X: 0.9*(p.X*0.98-p.Y*0.2) + 40, Y: 0.9*(p.X*0.2+p.Y*0.98) - 17}
	}
	if c := ShapeChange(&a, &b); c > 1e-9 {
		t.Errorf("similar shapes differ by %.3f", c)
	}
	// Blinks and speech move no rigid point.
	c := face68(0.1, 0.4)
	if d := ShapeChange(&a, &c); d > 1e-9 {
		t.Errorf("a blink changes the rigid shape by %.3f", d)
	}
	// Another face: a longer nose.
	for k := 27; k <= 35; k++ {
		c[k].Y += 15
	}
	if d := ShapeChange(&a, &c); d < DefaultClosed.MaxJump {
		t.Errorf("another face's nose changes it by %.3f only", d)
	}
}

// TestEyeNeedReadsOnlyWhatIsUsed: the session asks the eye-state model
// for nothing in digits mode or while positioning, for both eyes in the
// baseline and for the first eye after it; honouring that finds the same
// blinks as reading both eyes on every frame.
func TestEyeNeedReadsOnlyWhatIsUsed(t *testing.T) {
	digits, err := NewSession(Config{Mode: certkiosk.MethodDigits, Code: "4821"})
	if err != nil {
		t.Fatal(err)
	}
	base := synth{n: 150}
	for i := range 150 {
		if n := digits.EyeNeed(); n.Any {
			t.Fatalf("digits mode, frame %d: the eye-state model asked for (%+v)", i, n)
		}
		digits.Observe(base.frame(i))
	}

	// run judges frames whose eyes read p0 and p1; lazy honours EyeNeed
	// as face.Pipeline does (the nearer eye is eye 0 here).
	run := func(p0, p1 func(int) float64, lazy bool) (Result, []EyeNeed) {
		sess, err := NewSession(Config{Mode: certkiosk.MethodBlink})
		if err != nil {
			t.Fatal(err)
		}
		var needs []EyeNeed
		for i := range 150 {
			n := sess.EyeNeed()
			needs = append(needs, n)
			f := base.frame(i)
			if !lazy || n.Any {
				f.EyeClosed[0], f.EyeSeen[0] = p0(i), true
				if !lazy || n.Both || p0(i) >= n.Above {
					f.EyeClosed[1], f.EyeSeen[1] = p1(i), true
				}
			}
			sess.Observe(f)
		}
		return sess.Finish(), needs
	}
	p := closing(3, 50, 90)
	// The other eye reads a little differently, so that skipping it
	// could show.
	q := func(i int) float64 { return 0.9 * p(i) }
	all, _ := run(p, q, false)
	got, needs := run(p, q, true)
	if got.Verdict != certkiosk.VerdictPass || got.Verdict != all.Verdict || len(got.Blinks) != len(all.Blinks) {
		t.Fatalf("lazy reads: %s with %d blinks; every eye read: %s with %d", got.Verdict, len(got.Blinks), all.Verdict, len(all.Blinks))
	}
	for k := range got.Blinks {
		if got.Blinks[k].Frame != all.Blinks[k].Frame {
			t.Errorf("blink %d at frame %d, with every eye read at %d", k, got.Blinks[k].Frame, all.Blinks[k].Frame)
		}
	}
	if needs[0].Any {
		t.Errorf("frame 0 (positioning) asked for the model: %+v", needs[0])
	}
	var both, first int
	for _, n := range needs {
		switch {
		case n.Any && n.Both:
			both++
		case n.Any:
			first++
			if n.Above < DefaultClosed.Low {
				t.Errorf("second eye asked for above %.2f, under the low mark %.2f", n.Above, DefaultClosed.Low)
			}
		}
	}
	// The verdict comes on the second blink's reopening (frame ≈ 93):
	// from then on nothing is read.
	if both < 20 || both > 40 || first < 50 || needs[len(needs)-1].Any {
		t.Errorf("both eyes on %d frames (the 1 s baseline: 30), the first eye only on %d (the challenge: ≈ 60), after the verdict %+v",
			both, first, needs[len(needs)-1])
	}

	// Eyes that already read closed in the baseline: the model is not
	// trusted for this person, nor read after the baseline.
	shut := func(int) float64 { return 0.95 }
	_, needs = run(shut, shut, true)
	if last := needs[len(needs)-1]; last.Any {
		t.Errorf("after a baseline of eyes read closed, the model is still asked for: %+v", last)
	}
}
