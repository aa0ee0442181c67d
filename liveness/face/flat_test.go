package face

import (
	"image"
	"path/filepath"
	"testing"

	"gocv.io/x/gocv"
)

// dlibFaces is where Debian's libdlib19.1 puts dlib's example photos
// (liveness/fixture reads the same; it imports this package).
const dlibFaces = "/usr/share/doc/libdlib19.1/examples/faces"

// The flat predictor against dlib's own on every face dlib's HOG detector
// finds in Debian's example photos, at full and half size, with the
// detector's box and with boxes shifted and scaled as tracking would give
// them: the landmarks must be dlib's, exactly. (A predictor that moved
// them a little — 16-bit leaves, 0.05 px on average — let two more still
// photos of the validation set pass as blinking.)
func TestFlatLandmarksAreDlibs(t *testing.T) {
	flat, ref := bothPredictors(t)
	photos, err := filepath.Glob(filepath.Join(dlibFaces, "*.jpg"))
	if err != nil || len(photos) < 10 {
		t.Fatalf("dlib's example photos under %s: %d found (%v); install libdlib-dev", dlibFaces, len(photos), err)
	}
	faces, compared := 0, 0
	for _, path := range photos {
		img := gocv.IMRead(path, gocv.IMReadGrayScale)
		if img.Empty() {
			t.Fatalf("cannot read %s", path)
		}
		for _, k := range []float64{1, 0.5} {
			grey := gocv.NewMat()
			size := image.Pt(int(float64(img.Cols())*k), int(float64(img.Rows())*k))
			if img.Cols() < 1000 { // dlib's HOG window is 80 px: small faces need the upscale
				size = size.Mul(2)
			}
			gocv.Resize(img, &grey, size, 0, 0, gocv.InterpolationLinear)
			boxes, err := DetectHOG(grey)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range boxes {
				faces++
				d := b.Dx() / 12
				for _, box := range []image.Rectangle{b, b.Add(image.Pt(d, -d)), b.Inset(d), b.Inset(-d)} {
					a, err := flat.Predict(grey, box)
					if err != nil {
						t.Fatal(err)
					}
					r, err := ref.Predict(grey, box)
					if err != nil {
						t.Fatal(err)
					}
					if a != r {
						t.Errorf("%s ×%.1f box %v: landmarks differ from dlib's", filepath.Base(path), k, box)
					}
					compared++
				}
			}
			grey.Close()
		}
		img.Close()
	}
	if faces < 60 {
		t.Fatalf("only %d faces found", faces)
	}
	t.Logf("%d faces, %d boxes: all landmarks are dlib's", faces, compared)
}

// bothPredictors loads the flat predictor and dlib's own; the test frees
// dlib's when it ends.
func bothPredictors(tb testing.TB) (flat, ref *Landmarker) {
	tb.Helper()
	flat, err := LoadLandmarker("")
	if err != nil {
		tb.Fatal(err)
	}
	ref, err = loadReference(DefaultModel)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ref.free)
	return flat, ref
}

// BenchmarkPredict times one face's 68 landmarks with the flat trees and
// with dlib's own predictor, on a face of Debian's dlib photos.
func BenchmarkPredict(b *testing.B) {
	img := gocv.IMRead(filepath.Join(dlibFaces, "2008_002506.jpg"), gocv.IMReadGrayScale)
	defer img.Close()
	if img.Empty() {
		b.Fatal("cannot read dlib's example photo (install libdlib-dev)")
	}
	boxes, err := DetectHOG(img)
	if err != nil || len(boxes) == 0 {
		b.Fatalf("no face found: %v", err)
	}
	flat, ref := bothPredictors(b)
	for _, c := range []struct {
		name string
		lm   *Landmarker
	}{{"flat", flat}, {"dlib", ref}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.lm.Predict(img, boxes[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
