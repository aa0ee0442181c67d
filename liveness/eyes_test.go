package liveness

import (
	"math"
	"math/rand"
	"testing"

	"certkiosk"
)

// eyePatch draws an eye patch: skin, and when open an almond of sclera
// with a dark iris; closure 0 is open, 1 shut (the lid covers it from
// the top). noise adds sensor noise from rng.
func eyePatch(closure float64, rng *rand.Rand, noise float64) Patch {
	var p Patch
	for y := range PatchH {
		for x := range PatchW {
			v := 150.0 // skin
			dx, dy := (float64(x)-16)/12, (float64(y)-8)/4
			lid := -1 + 2*closure // the lid edge, from top (-1) to bottom (+1)
			if dx*dx+dy*dy < 1 && dy > lid {
				v = 210 // sclera
				if ix := float64(x) - 16; ix*ix+(float64(y)-8)*(float64(y)-8) < 12 {
					v = 40 // iris and pupil
				}
			}
			v += rng.NormFloat64() * noise
			p.Pix[y*PatchW+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	p.Valid = true
	return p
}

// withEyes runs synthetic frames whose eye patches close as closure(i)
// says, while EAR follows ear(i).
func withEyes(t *testing.T, cfg Config, n int, ear func(int) float64, closure func(int) float64, noise float64) Result {
	t.Helper()
	sess, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	s := synth{n: n, ear: ear}
	for i := range n {
		f := s.frame(i)
		c := closure(i)
		f.Eyes = [2]Patch{eyePatch(c, rng, noise), eyePatch(c, rng, noise)}
		sess.Observe(f)
	}
	return sess.Finish()
}

// lids is a blink's lid closure (3 frames closing, 2 shut, 3 opening).
func lids(starts ...int) func(int) float64 {
	prof := []float64{0.35, 0.7, 1, 1, 0.65, 0.3, 0}
	return func(i int) float64 {
		for _, s := range starts {
			if k := i - s; k >= 0 && k < len(prof) {
				return prof[k]
			}
		}
		return 0
	}
}

// When the landmarks hardly follow the lid (EAR falls by 15 % only, well
// short of the EAR cue's 25 %), the eye pixels still show the blink.
func TestAppearanceFindsBlinksTheLandmarksMiss(t *testing.T) {
	weak := func(i int) float64 {
		if lids(50, 80)(i) > 0.5 {
			return 0.30 * 0.85
		}
		return 0.30
	}
	r := withEyes(t, Config{Mode: certkiosk.MethodBlink, Blinks: 10}, 120, weak, lids(50, 80), 4)
	if len(r.Blinks) != 2 {
		t.Fatalf("found %d blinks, rendered 2", len(r.Blinks))
	}
	off := withEyes(t, Config{Mode: certkiosk.MethodBlink, Blinks: 10, NoAppearance: true}, 120, weak, lids(50, 80), 4)
	if len(off.Blinks) != 0 {
		t.Fatalf("EAR alone found %d blinks in a 15 %% fall; the test no longer shows the pixel cue", len(off.Blinks))
	}
}

// The same blink seen by both cues counts once.
func TestBothCuesCountABlinkOnce(t *testing.T) {
	r := withEyes(t, Config{Mode: certkiosk.MethodBlink, Blinks: 10}, 120, blinks(0.30, 50, 80), lids(50, 80), 3)
	if len(r.Blinks) != 2 {
		t.Fatalf("found %d blinks, rendered 2", len(r.Blinks))
	}
}

// Attacks: a photo (pixels and EAR jitter, nothing closes), eyes held
// shut, eyes that close and never reopen, and pixels that change
// without any movement of the lid landmarks (a photo bent or blurred).
func TestAppearanceRefusesAttacks(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	jitter := func(int) float64 { return 0.30 * (1 + 0.04*rng.NormFloat64()) }
	none := func(int) float64 { return 0 }
	shut := func(int) float64 { return 1 }
	never := func(i int) float64 { return math.Min(1, math.Max(0, float64(i-50)/3)) }
	cases := []struct {
		name       string
		ear, close func(int) float64
	}{
		{"photo", jitter, none},
		{"eyes shut", func(int) float64 { return 0.12 * (1 + 0.2*rng.NormFloat64()) }, shut},
		{"never reopen", func(i int) float64 { return 0.30 - 0.05*never(i) }, never},
		{"pixels without lids", jitter, lids(50, 80)},
	}
	for _, c := range cases {
		r := withEyes(t, Config{Mode: certkiosk.MethodBlink}, 150, c.ear, c.close, 5)
		if r.Verdict == certkiosk.VerdictPass || len(r.Blinks) > 0 {
			t.Errorf("%s: %s with %d blinks, want no blink", c.name, r.Verdict, len(r.Blinks))
		}
	}
}

// mouthPatch draws the mouth: lips, and a dark opening as the jaw drops.
func mouthPatch(open float64, rng *rand.Rand) Patch {
	var p Patch
	for y := range PatchH {
		for x := range PatchW {
			v := 150.0
			if y >= 4 && y <= 6 && x >= 4 && x <= 28 {
				v = 110 // lips
			}
			if open > 0 && x > 7 && x < 25 && float64(y) > 5 && float64(y) < 5+8*open {
				v = 30 // the open mouth
			}
			v += rng.NormFloat64() * 4
			p.Pix[y*PatchW+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	p.Valid = true
	return p
}

// Speech that the lip landmarks miss (MAR rises by 0.03 only) is counted
// from the mouth's pixels; a still mouth is not.
func TestMouthPixelsCountSyllables(t *testing.T) {
	syll := func(i int) float64 { // 4 syllables of 10 frames from frame 50
		if i < 50 || i >= 90 {
			return 0
		}
		return math.Pow(math.Sin(math.Pi*float64((i-50)%10)/10), 2)
	}
	for _, c := range []struct {
		name  string
		open  func(int) float64
		cycle int
	}{{"talking", syll, 4}, {"silent", func(int) float64 { return 0 }, 0}} {
		sess, err := NewSession(Config{Mode: certkiosk.MethodDigits, Code: "4821"})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(5))
		s := synth{n: 130, mar: func(i int) float64 { return 0.15 + 0.03*c.open(i) + 0.01*rng.NormFloat64() }}
		for i := range s.n {
			f := s.frame(i)
			f.Mouth = mouthPatch(c.open(i), rng)
			sess.Observe(f)
		}
		r := sess.Finish()
		// The session decides as soon as ⌈0.6 × 4⌉ = 3 cycles are seen.
		if want := min(c.cycle, 3); r.MouthCycles != want {
			t.Errorf("%s: %d mouth cycles at the verdict, want %d", c.name, r.MouthCycles, want)
		}
		if want := c.cycle > 0; (r.Verdict == certkiosk.VerdictPass) != want {
			t.Errorf("%s: verdict %s", c.name, r.Verdict)
		}
	}
}
