package face_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"certkiosk/liveness"
	"certkiosk/liveness/face"

	"gocv.io/x/gocv"
)

// The vendored model is the file of the npm package
// faceplugin-face-recognition-js 0.0.1 (models/README.md), byte for byte.
func TestEyeModelDigest(t *testing.T) {
	if got := face.EyeModelDigest(); got != face.EyeModelSHA256 {
		t.Fatalf("embedded fr_eye.onnx sha256 %s, want %s", got, face.EyeModelSHA256)
	}
	b, err := os.ReadFile("models/fr_eye.onnx")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	if hex.EncodeToString(h[:]) != face.EyeModelSHA256 || len(b) != 207130 {
		t.Fatalf("models/fr_eye.onnx: sha256 %x, %d bytes", h, len(b))
	}
	if _, err := os.Stat("models/fr_eye.LICENSE"); err != nil {
		t.Fatalf("the model's licence text: %v", err)
	}
}

// The portrait's open eyes read open; with the model off nothing is seen.
func TestPipelineReadsEyeState(t *testing.T) {
	frame := placed(t, 0, 0, 0)
	defer frame.Close()
	for _, off := range []bool{false, true} {
		pl, err := face.NewPipeline(face.Options{NoEyeModel: off})
		if err != nil {
			t.Fatal(err)
		}
		f, err := pl.Process(frame, 0, 0)
		pl.Close()
		if err != nil || !f.HasShape {
			t.Fatalf("no face: %v", err)
		}
		p, ok := f.ClosedProb()
		switch {
		case off && ok:
			t.Errorf("model off, yet eyes seen: %v", f.EyeSeen)
		case !off && (!f.EyeSeen[0] || !f.EyeSeen[1]):
			t.Errorf("frontal face, eyes seen %v", f.EyeSeen)
		case !off && p > 0.5:
			t.Errorf("open eyes read closed: %.2f %.2f", f.EyeClosed[0], f.EyeClosed[1])
		}
	}
}

// BenchmarkEyeState times the eye-state cue alone on one core: "both"
// reads both eyes (two crops, two forward passes: a baseline frame),
// "first" what a challenge frame with open eyes costs (the nearer eye;
// the other is skipped, see liveness.EyeNeed). The bar is 0.5 ms per
// frame; what a whole check averages per frame is in the figures of
// `kioskctl validate --real` (passes per frame).
func BenchmarkEyeState(b *testing.B) {
	for _, c := range []struct {
		name  string
		need  liveness.EyeNeed
		reads int
	}{
		{"both", liveness.EyeNeed{Any: true, Both: true}, 2},
		{"first", liveness.EyeNeed{Any: true, Above: 0.3}, 1},
	} {
		b.Run(c.name, func(b *testing.B) { benchEyeState(b, c.need, c.reads) })
	}
}

func benchEyeState(b *testing.B, need liveness.EyeNeed, reads int) {
	frame := placed(b, 0, 0, 0)
	defer frame.Close()
	prev := face.NumThreads()
	face.SetNumThreads(1)
	defer face.SetNumThreads(prev)
	pl, err := face.NewPipeline(face.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer pl.Close()
	f, err := pl.Process(frame, 0, 0)
	if err != nil || !f.HasShape {
		b.Fatalf("no face: %v", err)
	}
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
	// Processor time of this thread too: on a shared machine the wall
	// clock counts the waits for a core.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var times []time.Duration
	cpu0 := threadCPU(b)
	for b.Loop() {
		g := liveness.Frame{Landmarks: f.Landmarks, HasShape: true}
		start := time.Now()
		if err := face.RunEyeState(pl, grey, &g, need); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		if n := btoi(g.EyeSeen[0]) + btoi(g.EyeSeen[1]); n != reads {
			b.Fatalf("%d eyes read, want %d", n, reads)
		}
	}
	b.ReportMetric(float64((threadCPU(b)-cpu0).Nanoseconds())/1e6/float64(len(times)), "cpu-ms/op")
	b.ReportMetric(float64(face.Percentile(times, 0.5).Nanoseconds())/1e6, "p50-ms")
	b.ReportMetric(face.EyeNetPerf(), "dnn-ms/pass")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// threadCPU is the processor time of the calling OS thread.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
