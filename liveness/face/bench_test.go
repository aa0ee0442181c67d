package face_test

import (
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/liveness"
	"certkiosk/liveness/face"
	"certkiosk/liveness/fixture"

	"gocv.io/x/gocv"
)

// benchFrames decodes a rendered live clip (blinks, drift) into memory, so
// the benchmarks time processing only, not decoding.
func benchFrames(b *testing.B) []gocv.Mat {
	b.Helper()
	r, err := fixture.NewRenderer("")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	clip := filepath.Join(b.TempDir(), "bench.avi")
	spec := fixture.Spec{Name: "bench", Mode: certkiosk.MethodBlink, Seconds: 4, Seed: 31, Blinks: []float64{1.5, 2.5, 3.3}}
	if _, err := r.Render(spec, clip); err != nil {
		b.Fatal(err)
	}
	src, err := camera.OpenFile(clip, false)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	var frames []gocv.Mat
	for {
		m := gocv.NewMat()
		if _, err := src.Read(&m); err != nil {
			m.Close()
			if !errors.Is(err, io.EOF) {
				b.Fatal(err)
			}
			break
		}
		frames = append(frames, m)
	}
	b.Cleanup(func() {
		for _, m := range frames {
			m.Close()
		}
	})
	return frames
}

// perFrame runs the pipeline and a session over the clip (one op = the
// whole 4 s clip, 120 frames) and reports the median and 95th percentile
// per frame. OpenCV is
// pinned to one thread: the speed bar is stated for one core.
func perFrame(b *testing.B, frames []gocv.Mat, opt face.Options) (p50, p95 time.Duration) {
	b.Helper()
	prev := face.NumThreads()
	face.SetNumThreads(1)
	defer face.SetNumThreads(prev)
	pl, err := face.NewPipeline(opt)
	if err != nil {
		b.Fatal(err)
	}
	defer pl.Close()
	newSession := func() *liveness.Session {
		s, err := liveness.NewSession(liveness.Config{Mode: certkiosk.MethodBlink, Blinks: 10})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	var times []time.Duration
	b.ResetTimer()
	for b.Loop() {
		// One op is the whole clip, from a fresh session and track, so
		// every op has its share of full detections.
		pl.Reset()
		sess := newSession()
		for k, m := range frames {
			start := time.Now()
			// The eye-state model reads what the session needs, as in
			// the kiosk (face.Judge).
			f, err := pl.ProcessNeed(m, k, time.Duration(k)*time.Second/30, sess.EyeNeed())
			if err != nil {
				b.Fatal(err)
			}
			sess.Observe(f)
			times = append(times, time.Since(start))
		}
	}
	p50, p95 = face.Percentile(times, 0.5), face.Percentile(times, 0.95)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	return p50, p95
}

// BenchmarkFrame times one 640×480 frame through detection + landmarks +
// session state: the fast pipeline (downscaled cascade once a second,
// landmark tracking between) and the naive one (full-frame Haar
// frontal-default on every frame + landmarks).
func BenchmarkFrame(b *testing.B) {
	frames := benchFrames(b)
	b.Run("fast", func(b *testing.B) { perFrame(b, frames, face.Options{}) })
	// Without the eye-state cue (issue 22), to show its share.
	b.Run("fast-no-eye-model", func(b *testing.B) { perFrame(b, frames, face.Options{NoEyeModel: true}) })
	b.Run("naive", func(b *testing.B) { perFrame(b, frames, face.Options{Naive: true}) })
}

// BenchmarkSpeedup (one op = the clip through both pipelines) puts each
// frame through both pipelines in turn (same
// frames, same moment, same load on the machine) and reports both
// medians and how many times faster the fast pipeline is.
func BenchmarkSpeedup(b *testing.B) {
	frames := benchFrames(b)
	prev := face.NumThreads()
	face.SetNumThreads(1)
	defer face.SetNumThreads(prev)
	fast, err := face.NewPipeline(face.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer fast.Close()
	naive, err := face.NewPipeline(face.Options{Naive: true})
	if err != nil {
		b.Fatal(err)
	}
	defer naive.Close()
	var tf, tn []time.Duration
	for b.Loop() {
		fast.Reset()
		naive.Reset()
		for k, m := range frames {
			for _, c := range []struct {
				pl *face.Pipeline
				ts *[]time.Duration
			}{{fast, &tf}, {naive, &tn}} {
				start := time.Now()
				if _, err := c.pl.Process(m, k, time.Duration(k)*time.Second/30); err != nil {
					b.Fatal(err)
				}
				*c.ts = append(*c.ts, time.Since(start))
			}
		}
	}
	f50, n50 := face.Percentile(tf, 0.5), face.Percentile(tn, 0.5)
	b.ReportMetric(float64(f50.Microseconds())/1000, "fast-p50-ms")
	b.ReportMetric(float64(face.Percentile(tf, 0.95).Microseconds())/1000, "fast-p95-ms")
	b.ReportMetric(float64(n50.Microseconds())/1000, "naive-p50-ms")
	b.ReportMetric(float64(face.Percentile(tn, 0.95).Microseconds())/1000, "naive-p95-ms")
	if f50 > 0 {
		b.ReportMetric(float64(n50)/float64(f50), "x-faster-p50")
	}
}
