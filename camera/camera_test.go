package camera

import (
	"context"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets"

	"gocv.io/x/gocv"
)

// renderClip writes a drift clip of the demo portrait into a temp dir.
func renderClip(t *testing.T, seconds float64, seed int64) string {
	t.Helper()
	p, err := DecodePortrait(assets.Portrait)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := filepath.Join(t.TempDir(), "drift.avi")
	if err := RenderDrift(p, out, DriftOptions{Seconds: seconds, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileReadsEveryFrameWithItsTime(t *testing.T) {
	path := renderClip(t, 2, 1)
	f, err := OpenFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info := f.Info()
	if info.Width != 640 || info.Height != 480 || info.FPS != 30 || info.Kind != "file" {
		t.Fatalf("info = %+v, want 640×480 at 30 fps", info)
	}
	m := gocv.NewMat()
	defer m.Close()
	var n int
	var last time.Duration = -1
	for {
		ts, err := f.Read(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ts <= last {
			t.Fatalf("frame %d at %v, not after %v", n, ts, last)
		}
		if want := time.Duration(n) * time.Second / 30; absDur(ts-want) > time.Millisecond {
			t.Fatalf("frame %d at %v, want %v", n, ts, want)
		}
		if m.Cols() != 640 || m.Rows() != 480 || m.Channels() != 3 {
			t.Fatalf("frame %d is %dx%dx%d", n, m.Cols(), m.Rows(), m.Channels())
		}
		last = ts
		n++
	}
	if n != 60 {
		t.Fatalf("read %d frames, rendered 60", n)
	}
}

func TestFileLoopKeepsTimeIncreasing(t *testing.T) {
	path := renderClip(t, 0.5, 2) // 15 frames
	f, err := OpenFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := gocv.NewMat()
	defer m.Close()
	var last time.Duration = -1
	for i := 0; i < 40; i++ { // more than two loops
		ts, err := f.Read(&m)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if ts <= last {
			t.Fatalf("frame %d at %v, not after %v", i, ts, last)
		}
		last = ts
	}
	if want := 39 * time.Second / 30; absDur(last-want) > time.Millisecond {
		t.Fatalf("40th frame at %v, want %v", last, want)
	}
}

func TestDriftClipMovesButStaysInFrame(t *testing.T) {
	path := renderClip(t, 1, 3)
	f, err := OpenFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	first, cur, diff := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer first.Close()
	defer cur.Close()
	defer diff.Close()
	if _, err := f.Read(&first); err != nil {
		t.Fatal(err)
	}
	moved := false
	for {
		if _, err := f.Read(&cur); err != nil {
			break
		}
		gocv.AbsDiff(first, cur, &diff)
		if mean := diff.Mean(); mean.Val1+mean.Val2+mean.Val3 > 1 {
			moved = true
		}
	}
	if !moved {
		t.Fatal("drift clip frames are all identical to the first")
	}
	d := NewDrift(3)
	for i := 0; i < 3000; i++ { // 100 s of drift
		dx, dy, ang, zoom := d.Next()
		if dx*dx+dy*dy > 60*60 || ang > 8 || ang < -8 || zoom < 0.9 || zoom > 1.1 {
			t.Fatalf("frame %d: drift ran away: %.1f %.1f %.1f° ×%.2f", i, dx, dy, ang, zoom)
		}
	}
}

func TestOpenFileErrors(t *testing.T) {
	_, err := OpenFile(filepath.Join(t.TempDir(), "missing.avi"), false)
	if certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
		t.Fatalf("missing file: err = %v, want not_found", err)
	}
	junk := filepath.Join(t.TempDir(), "junk.avi")
	if err := os.WriteFile(junk, []byte("this is not a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(junk, false)
	if err == nil {
		m := gocv.NewMat()
		defer m.Close()
		_, err = f.Read(&m)
		f.Close()
	}
	if certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID || certkiosk.ErrorMessageOf(err) == "" {
		t.Fatalf("junk file: err = %v, want invalid with a message", err)
	}
}

func TestOpenMissingDevice(t *testing.T) {
	_, err := OpenDevice(63)
	if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

func TestCaptureDeliversAllFramesThenEOF(t *testing.T) {
	f, err := OpenFile(renderClip(t, 0.5, 4), false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = Capture(context.Background(), f, false, func(m gocv.Mat, ts time.Duration) { n++ })
	if !errors.Is(err, io.EOF) || n != 15 {
		t.Fatalf("Capture = %v after %d frames, want EOF after 15", err, n)
	}
}

func TestCaptureStopsWithContext(t *testing.T) {
	f, err := OpenFile(renderClip(t, 0.5, 5), true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	done := make(chan error, 1)
	go func() {
		done <- Capture(ctx, f, true, func(gocv.Mat, time.Duration) {
			n++
			if n == 3 {
				cancel()
			}
		})
	}()
	select {
	case err := <-done:
		if err != nil || n != 3 {
			t.Fatalf("Capture = %v after %d frames, want nil after 3", err, n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Capture did not stop after cancel")
	}
}

func TestToRGBAReusesBufferAndSwapsChannels(t *testing.T) {
	src := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(10, 20, 30, 0), 4, 6, gocv.MatTypeCV8UC3) // B,G,R
	defer src.Close()
	tmp := gocv.NewMat()
	defer tmp.Close()
	dst, err := ToRGBA(src, &tmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Rect != image.Rect(0, 0, 6, 4) {
		t.Fatalf("rect = %v", dst.Rect)
	}
	if c := dst.RGBAAt(5, 3); c.R != 30 || c.G != 20 || c.B != 10 || c.A != 255 {
		t.Fatalf("pixel = %+v, want R30 G20 B10 A255", c)
	}
	again, err := ToRGBA(src, &tmp, dst)
	if err != nil || &again.Pix[0] != &dst.Pix[0] {
		t.Fatalf("second conversion did not reuse the buffer (err %v)", err)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
