package face

import (
	"image"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"gocv.io/x/gocv"
)

// dlibFaces is where Debian's libdlib19.1 puts dlib's example photos
// (liveness/fixture reads the same; it imports this package).
const dlibFaces = "/usr/share/doc/libdlib19.1/examples/faces"

// The compact predictor (16-bit leaves) against dlib's own (float leaves)
// on every face dlib's HOG detector finds in Debian's example photos, at
// full and half size, with the detector's box and with boxes shifted and
// scaled as tracking would give them. Landmarks are whole pixels in both.
func TestCompactLandmarksMatchDlib(t *testing.T) {
	compact, err := LoadLandmarker("")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := loadReference(DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.free()
	photos, err := filepath.Glob(filepath.Join(dlibFaces, "*.jpg"))
	if err != nil || len(photos) < 10 {
		t.Fatalf("dlib's example photos under %s: %d found (%v); install libdlib-dev", dlibFaces, len(photos), err)
	}
	var devs, jitter []float64
	faces, same := 0, 0
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
					a, err := compact.Predict(grey, box)
					if err != nil {
						t.Fatal(err)
					}
					r, err := ref.Predict(grey, box)
					if err != nil {
						t.Fatal(err)
					}
					moved, err := ref.Predict(grey, box.Add(image.Pt(1, 0)))
					if err != nil {
						t.Fatal(err)
					}
					for i := range r {
						jitter = append(jitter, math.Hypot(moved[i].X-1-r[i].X, moved[i].Y-r[i].Y))
					}
					for i := range a {
						dev := math.Hypot(a[i].X-r[i].X, a[i].Y-r[i].Y)
						devs = append(devs, dev)
						if dev == 0 {
							same++
						}
					}
				}
			}
			grey.Close()
		}
		img.Close()
	}
	if faces < 60 {
		t.Fatalf("only %d faces found", faces)
	}
	mean, p99, worst := stats(devs)
	jmean, jp99, jworst := stats(jitter)
	t.Logf("%d faces, %d landmarks: %.2f%% identical, mean %.3f px, p99 %.2f px, max %.2f px",
		faces, len(devs), 100*float64(same)/float64(len(devs)), mean, p99, worst)
	t.Logf("dlib itself, face box moved by 1 px: mean %.3f px, p99 %.2f px, max %.2f px", jmean, jp99, jworst)
	// The bar is dlib's own steadiness: the compact leaves may move a
	// landmark no more than moving the face box by one pixel moves it.
	if mean > jmean || p99 > jp99 || worst > jworst {
		t.Errorf("the compact predictor moves landmarks more than a 1 px shift of the box does")
	}
}

// stats returns the mean, 99th percentile and maximum of xs (sorted in place).
func stats(xs []float64) (mean, p99, worst float64) {
	sort.Float64s(xs)
	for _, x := range xs {
		mean += x
	}
	return mean / float64(len(xs)), xs[len(xs)*99/100], xs[len(xs)-1]
}

// BenchmarkPredict times one face's 68 landmarks with the compact leaves
// and with dlib's own predictor, on a face of Debian's dlib photos.
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
	compact, err := LoadLandmarker("")
	if err != nil {
		b.Fatal(err)
	}
	ref, err := loadReference(DefaultModel)
	if err != nil {
		b.Fatal(err)
	}
	defer ref.free()
	for _, c := range []struct {
		name string
		lm   *Landmarker
	}{{"compact", compact}, {"dlib", ref}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.lm.Predict(img, boxes[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
