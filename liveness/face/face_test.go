package face_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets"
	"certkiosk/camera"
	"certkiosk/liveness"
	"certkiosk/liveness/face"

	"gocv.io/x/gocv"
)

// placed renders the portrait as the camera sees it, with a drift pose.
func placed(t testing.TB, dx, dy, angle float64) gocv.Mat {
	t.Helper()
	p, err := camera.DecodePortrait(assets.Portrait)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := assets.PortraitFace
	frame := gocv.NewMat()
	camera.PlacePortrait(p, &frame, image.Pt((f.Min.X+f.Max.X)/2, (f.Min.Y+f.Max.Y)/2+f.Dy()/3), 170/float64(f.Dx()), dx, dy, angle, 1)
	return frame
}

func TestMissingModelNamesThePackage(t *testing.T) {
	_, err := face.LoadLandmarker(filepath.Join(t.TempDir(), "nope.dat"))
	if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE || !strings.Contains(err.Error(), "libdlib-data") {
		t.Fatalf("err = %v, want unavailable naming libdlib-data", err)
	}
	if certkiosk.ErrorMessageOf(err) == "" {
		t.Fatal("no Chinese message")
	}
	_, err = face.NewPipeline(face.Options{Model: filepath.Join(t.TempDir(), "nope.dat")})
	if !strings.Contains(err.Error(), "libdlib-data") {
		t.Fatalf("pipeline with a missing model: %v", err)
	}
	_, err = face.NewPipeline(face.Options{Cascade: filepath.Join(t.TempDir(), "none.xml")})
	if !strings.Contains(err.Error(), "opencv-data") {
		t.Fatalf("pipeline with a missing cascade: %v", err)
	}
}

func TestModelLoadsOnce(t *testing.T) {
	done := face.Preload("")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a, err := face.LoadLandmarker("")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := face.LoadLandmarker(face.DefaultModel)
	if a != b {
		t.Fatal("the model was loaded twice")
	}
}

func TestPipelineFindsAndTracksTheFace(t *testing.T) {
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	const n = 60
	for i := 0; i < n; i++ {
		// Move the face 1 px a frame to the right and back: tracking must follow.
		dx := float64(i)
		if i > n/2 {
			dx = float64(n - i)
		}
		frame := placed(t, dx, 0, 0)
		f, err := pl.Process(frame, i, time.Duration(i)*time.Second/30)
		frame.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Faces != 1 || !f.HasShape {
			t.Fatalf("frame %d: %d faces, shape %v", i, f.Faces, f.HasShape)
		}
		// The nose tip sits near the frame centre shifted by dx.
		nose := f.Landmarks[30]
		if d := nose.X - (320 + dx); d < -25 || d > 25 || nose.Y < 160 || nose.Y > 280 {
			t.Fatalf("frame %d: nose at %+v, want near (%.0f, 220)", i, nose, 320+dx)
		}
		ear, _ := f.EyeEAR()
		if ear < 0.25 || ear > 0.45 {
			t.Fatalf("frame %d: open-eye EAR %.3f", i, ear)
		}
		if is, ok := liveness.DefaultGates.Check(&f); !ok {
			t.Fatalf("frame %d fails the gates: %+v (brightness %.0f, sharpness %.0f)", i, is, f.Brightness, f.Sharpness)
		}
	}
	// One detection to start and one a second: the rest were tracked.
	if pl.FullDetect > 3 {
		t.Fatalf("%d full detections in %d frames", pl.FullDetect, n)
	}
}

// Off-centre poses, including one where the cascade once took the space
// suit for a second, larger face: one face, and the right one.
func TestPipelineOnePersonAnywhere(t *testing.T) {
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	for _, d := range [][3]float64{{-100, -30, 0}, {-120, 40, 5}, {120, -40, -5}, {60, 20, 3}, {-40, 0, -6}} {
		pl.Reset()
		for i := range 3 {
			frame := placed(t, d[0], d[1], d[2])
			f, err := pl.Process(frame, i, time.Duration(i)*time.Second/30)
			frame.Close()
			if err != nil {
				t.Fatal(err)
			}
			nose := f.Landmarks[30]
			if f.Faces != 1 || nose.X < 320+d[0]-25 || nose.X > 320+d[0]+25 {
				t.Fatalf("pose %v frame %d: %d faces, nose at %+v, want x ≈ %.0f", d, i, f.Faces, nose, 320+d[0])
			}
		}
	}
}

func TestPipelineEmptyFrame(t *testing.T) {
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	wall := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(90, 110, 120, 0), 480, 640, gocv.MatTypeCV8UC3)
	defer wall.Close()
	f, err := pl.Process(wall, 0, 0)
	if err != nil || f.Faces != 0 || f.HasShape {
		t.Fatalf("empty wall: %d faces, err %v", f.Faces, err)
	}
	if f.Brightness < 100 || f.Brightness > 115 {
		t.Fatalf("wall brightness %.1f", f.Brightness)
	}
	empty := gocv.NewMat()
	defer empty.Close()
	if _, err := pl.Process(empty, 1, 0); err == nil {
		t.Fatal("an empty Mat was processed")
	}
}

func TestRunOnHeldPhotoAndBestFrame(t *testing.T) {
	p, err := camera.DecodePortrait(assets.Portrait)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clip := filepath.Join(t.TempDir(), "photo.avi")
	if err := camera.RenderDrift(p, clip, camera.DriftOptions{Seconds: 2.5, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var results []liveness.Result
	for range 2 {
		src, err := camera.OpenFile(clip, false)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := face.Run(context.Background(), src, face.RunOptions{
			Session: liveness.Config{Mode: certkiosk.MethodBlink}, Best: true})
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Result
		if r.Verdict != certkiosk.VerdictFail || r.Reason != liveness.ReasonNoBlink || len(r.Blinks) != 0 {
			t.Fatalf("held photo: %s %q, %d blinks", r.Verdict, r.Reason, len(r.Blinks))
		}
		if rep.Frames != 75 || r.FaceFrames != 75 || len(rep.Processing) != 75 || rep.P50 <= 0 || rep.P95 < rep.P50 {
			t.Fatalf("frames %d, face frames %d, p50 %v p95 %v", rep.Frames, r.FaceFrames, rep.P50, rep.P95)
		}
		img, err := jpeg.Decode(bytes.NewReader(rep.Best))
		if err != nil {
			t.Fatalf("best frame: %v", err)
		}
		if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 || rep.BestFrame < 0 {
			t.Fatalf("best frame %d is %v", rep.BestFrame, img.Bounds())
		}
		results = append(results, r)
	}
	if a, b := results[0], results[1]; a.DecidedAtFrame != b.DecidedAtFrame || a.Baseline != b.Baseline || a.FaceFrames != b.FaceFrames {
		t.Fatalf("two runs on one clip differ:\n%+v\n%+v", a, b)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	p, err := camera.DecodePortrait(assets.Portrait)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	clip := filepath.Join(t.TempDir(), "loop.avi")
	if err := camera.RenderDrift(p, clip, camera.DriftOptions{Seconds: 0.5, Seed: 8}); err != nil {
		t.Fatal(err)
	}
	src, err := camera.OpenFile(clip, true) // loops forever
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = face.Run(ctx, src, face.RunOptions{Session: liveness.Config{Mode: certkiosk.MethodBlink},
		OnFrame: func(*liveness.Frame, liveness.Update) {
			if n++; n == 20 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) || n != 20 {
		t.Fatalf("Run = %v after %d frames, want canceled after 20", err, n)
	}
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p := face.Percentile(ds, 0.5); p != 50*time.Millisecond {
		t.Errorf("p50 = %v", p)
	}
	if p := face.Percentile(ds, 0.95); p != 95*time.Millisecond {
		t.Errorf("p95 = %v", p)
	}
	if p := face.Percentile(nil, 0.5); p != 0 {
		t.Errorf("empty p50 = %v", p)
	}
}

// TestHOGHoldsOneDetector: dlib's HOG detector keeps ≈ 6 MB of scratch
// once it has run; run from eight more OS threads (Go puts cgo calls on
// any), the process must not grow by a detector per thread (it grew by
// 48 MB when each thread had its own).
func TestHOGHoldsOneDetector(t *testing.T) {
	frame := placed(t, 0, 0, 0)
	defer frame.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
	if _, err := face.DetectHOG(grey); err != nil {
		t.Fatal(err)
	}
	before := rssMB(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // a thread of its own, ended with the goroutine
			if _, err := face.DetectHOG(grey); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if grew := rssMB(t) - before; grew > 16 {
		t.Fatalf("HOG detection on 8 more threads grew the process by %.1f MB: a detector per thread", grew)
	}
}

// rssMB is the process's resident set, MB.
func rssMB(t *testing.T) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb / 1024
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// The best frame is encoded by Go's JPEG encoder from OpenCV's BGR: the
// colours must come out where they were (a swapped channel order would
// turn a retiree's face blue on the central's review screen).
func TestBestFrameJPEGKeepsColours(t *testing.T) {
	frame := gocv.NewMatWithSize(480, 640, gocv.MatTypeCV8UC3)
	defer frame.Close()
	left := frame.Region(image.Rect(0, 0, 320, 480))
	left.SetTo(gocv.NewScalar(255, 0, 0, 0)) // BGR blue
	left.Close()
	right := frame.Region(image.Rect(320, 0, 640, 480))
	right.SetTo(gocv.NewScalar(0, 0, 255, 0)) // BGR red
	right.Close()
	b := face.NewBestFrame()
	defer b.Close()
	if jpg, err := b.JPEG(90); jpg != nil || err != nil {
		t.Fatalf("no frame offered: %d bytes, %v", len(jpg), err)
	}
	b.Offer(frame, 3, 0.8)
	jpg, err := b.JPEG(90)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	for _, c := range []struct {
		x      int
		r, b   uint32 // 8-bit
		colour string
	}{{100, 0, 255, "blue"}, {540, 255, 0, "red"}} {
		r, g, bl, _ := img.At(c.x, 240).RGBA()
		r, g, bl = r>>8, g>>8, bl>>8
		if d := func(a, b uint32) uint32 { return max(a, b) - min(a, b) }; d(r, c.r) > 16 || g > 16 || d(bl, c.b) > 16 {
			t.Errorf("x=%d should be %s, is rgb(%d,%d,%d)", c.x, c.colour, r, g, bl)
		}
	}
	grey := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8U)
	defer grey.Close()
	g := face.NewBestFrame()
	defer g.Close()
	g.Offer(grey, 0, 1)
	if _, err := g.JPEG(90); err == nil {
		t.Fatal("a grey frame was encoded as if it were BGR")
	}
}
