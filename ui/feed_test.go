package ui

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"certkiosk/camera"

	"fyne.io/fyne/v2"
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

// A webcam lost mid-check: the running check ends with the camera error,
// staff are told in Chinese, the loop keeps trying, and frames flow again
// once it is back.
func TestFeedSurvivesALostCamera(t *testing.T) {
	old := reopenEvery
	reopenEvery = 10 * time.Millisecond
	defer func() { reopenEvery = old }()
	ui := &serial{}
	p := NewPreview(fyne.NewSize(64, 48))
	p.do = ui.run
	src := &flaky{lostAt: 10}
	var mu sync.Mutex
	var msgs []string
	checker := &LiveChecker{Blinks: func() int { return 2 }, TimeLimit: func() time.Duration { return 10 * time.Second }}
	_, updates, _, err := checker.Start("blink")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Feed(ctx, src, p, checker, func(m string) {
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}, nil)
	}()
	var last CheckUpdate
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
	if len(msgs) != 2 || msgs[0] != "摄像头已断开，请检查连接后重试" || msgs[1] != "" {
		t.Fatalf("messages %q, want the loss in Chinese then a clear", msgs)
	}
	if drawn, _ := p.Stats(); drawn < 15 {
		t.Fatalf("%d frames drawn; frames did not flow again after the camera came back", drawn)
	}
}
