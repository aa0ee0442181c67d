package face_test

import (
	"math"
	"testing"
	"time"

	"certkiosk/liveness"
	"certkiosk/liveness/face"
)

// A head tilted 25° is found (the frontal cascade misses it; the HOG
// detector's tilted filters do not), its roll is measured, and it passes
// the gates: roll is no reason to refuse (issue 9).
func TestTiltedHeadIsFoundAndJudged(t *testing.T) {
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	for _, angle := range []float64{-25, 25} {
		pl.Reset()
		var f liveness.Frame
		for i := range 3 {
			frame := placed(t, 0, 0, angle)
			f, err = pl.Process(frame, i, time.Duration(i)*time.Second/30)
			frame.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		if f.Faces != 1 || !f.HasShape {
			t.Fatalf("tilt %.0f°: %d faces", angle, f.Faces)
		}
		p, ok := f.HeadPose()
		if !ok || math.Abs(p.Roll-angle) > 6 {
			t.Errorf("tilt %.0f°: pose %+v, want roll ≈ %.0f", angle, p, angle)
		}
		if is, ok := liveness.DefaultGates.Check(&f); !ok {
			t.Errorf("tilt %.0f°: refused with %s", angle, is.Code)
		}
	}
	if pl.HOGDetect == 0 {
		t.Error("the HOG detector never ran: the cascade found a 25° tilt after all, so this test shows nothing")
	}
}

// The eye and mouth patches are aligned on their corners, so a tilted
// head that drifts and turns a little more (as a seated person does)
// keeps near-identical patches: what changes them is a lid or the lips,
// not the pose.
func TestPatchesFollowATiltedHead(t *testing.T) {
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	var first liveness.Frame
	for i := range 12 {
		frame := placed(t, float64(3*i), float64(-2*i), 18+float64(i)/2)
		f, err := pl.Process(frame, i, time.Duration(i)*time.Second/30)
		frame.Close()
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 { // the track settles in the first frames, as the session does
			first = f
		}
		if i < 11 {
			continue
		}
		for k, pair := range [][2]liveness.Patch{{first.Eyes[0], f.Eyes[0]}, {first.Eyes[1], f.Eyes[1]}, {first.Mouth, f.Mouth}} {
			if !pair[0].Valid || !pair[1].Valid {
				t.Fatalf("patch %d missing", k)
			}
			if c := corr(pair[0], pair[1]); c < 0.9 {
				t.Errorf("patch %d: correlation after 30 px and 5° of drift %.3f, want ≥ 0.9", k, c)
			}
		}
	}
}

func corr(a, b liveness.Patch) float64 {
	var ma, mb float64
	for i := range a.Pix {
		ma += float64(a.Pix[i])
		mb += float64(b.Pix[i])
	}
	n := float64(len(a.Pix))
	ma, mb = ma/n, mb/n
	var sab, saa, sbb float64
	for i := range a.Pix {
		x, y := float64(a.Pix[i])-ma, float64(b.Pix[i])-mb
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	return sab / math.Sqrt(saa*sbb)
}
