package live

import (
	"context"
	"errors"
	"image"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/check"
	"certkiosk/liveness/fixture"

	"gocv.io/x/gocv"
)

// flaky is a webcam that delivers frames, is unplugged, fails to reopen
// once, then comes back.
type flaky struct {
	mu      sync.Mutex
	frames  int
	lostAt  int
	lost    bool
	reopens int
}

func (f *flaky) Read(dst *gocv.Mat) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lost {
		return 0, camera.ErrDeviceLost
	}
	f.frames++
	if f.frames == f.lostAt {
		f.lost = true
		return 0, camera.ErrDeviceLost
	}
	m := gocv.NewMatWithSize(48, 64, gocv.MatTypeCV8UC3)
	m.CopyTo(dst)
	m.Close()
	return time.Duration(f.frames) * 33 * time.Millisecond, nil
}

func (f *flaky) Reopen() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reopens++
	if f.reopens == 1 {
		return errors.New("still unplugged")
	}
	f.lost = false
	return nil
}

func (f *flaky) Info() camera.Info { return camera.Info{Kind: "device", Name: "/dev/video9"} }
func (f *flaky) Close() error      { return nil }

// sink counts the frames offered and recycles one buffer, as the UI's
// preview does.
type sink struct {
	mu      sync.Mutex
	offered int
	last    *image.RGBA
}

func (s *sink) Buffer() *image.RGBA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *sink) Offer(img *image.RGBA) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offered++
	s.last = img
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offered
}

func twoBlinks() check.Settings {
	return check.Settings{Blinks: func() int { return 2 }, TimeLimit: func() time.Duration { return 10 * time.Second }}
}

// A webcam lost mid-check: the running check ends with the camera error,
// staff are told in Chinese, the loop keeps trying, and frames flow again
// once it is back.
func TestFeedSurvivesALostCamera(t *testing.T) {
	old := reopenEvery
	reopenEvery = 10 * time.Millisecond
	defer func() { reopenEvery = old }()
	p := &sink{}
	src := &flaky{lostAt: 10}
	var mu sync.Mutex
	var msgs []error
	checker := &Checker{Settings: twoBlinks()}
	_, updates, _, err := checker.Start(certkiosk.MethodBlink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Feed(ctx, src, p, checker, func(m error) {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}, nil)
	}()
	var last check.Update
	for u := range updates { // the check ends when the camera goes
		last = u
	}
	if !errors.Is(last.Err, camera.ErrDeviceLost) {
		t.Fatalf("the check ended with %+v, want the camera error", last)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		src.mu.Lock()
		back := src.reopens >= 2 && src.frames > 20
		src.mu.Unlock()
		if back {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Feed: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(msgs) != 2 || !errors.Is(msgs[0], camera.ErrDeviceLost) || msgs[1] != nil {
		t.Fatalf("errors %v, want the lost device then nil (back)", msgs)
	}
	if n := p.count(); n < 15 {
		t.Fatalf("%d frames offered; frames did not flow again after the camera came back", n)
	}
}

// The service alone, no screen: the demo clip passes a blink check and a
// digits check with a best frame and metrics; a clip with no face fails
// with its reason; the mirror sees the same frames as the preview.
func TestCheckerJudgesClips(t *testing.T) {
	clip, err := fixture.EnsureDemoClip(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fixture.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.avi")
	_, err = rr.Render(fixture.Spec{Name: "empty", Mode: certkiosk.MethodBlink, Seconds: 2, Seed: 3, NoFace: true}, empty)
	rr.Close()
	if err != nil {
		t.Fatal(err)
	}
	judge := func(path string, method certkiosk.Method) (check.Result, string, int, int) {
		t.Helper()
		src, err := camera.OpenFile(path, true)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		checker := &Checker{Settings: twoBlinks(), Positioning: 3 * time.Second}
		code, updates, cancel, err := checker.Start(method)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		preview, mirror := &sink{}, &sink{}
		ctx, stop := context.WithCancel(context.Background())
		fed := make(chan error, 1)
		go func() { fed <- Feed(ctx, src, preview, checker, func(error) {}, mirror) }()
		var last check.Update
		for u := range updates {
			last = u
		}
		stop()
		if err := <-fed; err != nil {
			t.Fatalf("Feed: %v", err)
		}
		if !last.Done {
			t.Fatalf("%s: the check ended without a verdict: %+v", path, last)
		}
		return last.Result, code, preview.count(), mirror.count()
	}
	r, _, shown, mirrored := judge(clip, certkiosk.MethodBlink)
	if r.Verdict != certkiosk.VerdictPass || len(r.Best) == 0 || len(r.Metrics) == 0 || !r.Ended.After(r.Started) {
		t.Fatalf("blink on the demo clip: %+v", r)
	}
	if shown == 0 || mirrored != shown {
		t.Fatalf("preview saw %d frames, mirror %d", shown, mirrored)
	}
	r, code, _, _ := judge(clip, certkiosk.MethodDigits)
	if r.Verdict != certkiosk.VerdictPass || len(code) != 4 {
		t.Fatalf("digits on the demo clip: code %q, %+v", code, r)
	}
	r, _, _, _ = judge(empty, certkiosk.MethodBlink)
	if r.Verdict != certkiosk.VerdictFail || r.Reason == "" {
		t.Fatalf("a clip with no face: %+v", r)
	}
}

// The service speaks: the challenge is announced with the digits to read,
// and a missing face is said, not only shown.
func TestCheckerVoices(t *testing.T) {
	if got := check.DigitKeys("4821"); len(got) != 4 || got[0] != "d4" || got[3] != "d1" {
		t.Fatalf("DigitKeys: %v", got)
	}
	m := gocv.NewMatWithSizeFromScalar(gocv.NewScalar(128, 128, 128, 0), 120, 160, gocv.MatTypeCV8UC3) // grey: bright enough, no face
	defer m.Close()
	checker := &Checker{Settings: twoBlinks()}
	_, updates, cancel, err := checker.Start(certkiosk.MethodBlink)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	var voices []string
	for i := 0; i < 150 && checker.Active(); i++ { // 5 s of empty frames
		checker.Frame(m, time.Duration(i)*33*time.Millisecond)
	drain:
		for {
			select {
			case u, ok := <-updates:
				if !ok {
					break drain
				}
				voices = append(voices, u.Voice...)
			default:
				break drain
			}
		}
	}
	if len(voices) < 2 || voices[0] != "position" || voices[1] != "no_face" {
		t.Fatalf("voices %v, want position then no_face", voices)
	}
}
