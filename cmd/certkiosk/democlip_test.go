package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check/live"
	"certkiosk/liveness/fixture"

	"fyne.io/fyne/v2/test"
)

// A first start in demo mode opens the window without waiting for the
// demo clip (seconds of rendering): the device screen says it is being
// prepared, the capture loop starts on it once it is there, and the next
// start finds it (issue 16).
func TestFirstStartRendersTheDemoClipInTheBackground(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Demo = true
	ka, err := newApp(context.Background(), test.NewTempApp(t), c)
	if err != nil {
		t.Fatal(err)
	}
	// newApp returned with the render still to come: no source yet, the
	// clip is being made in the background (no timing: a busy machine is
	// slow either way).
	if ka.clip == nil || ka.src != nil {
		t.Fatalf("first start: clip render %v, source %v", ka.clip, ka.src)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := ka.start(ctx)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if drawn, _ := ka.shell.Preview.Stats(); drawn >= 5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	drawn, _ := ka.shell.Preview.Stats()
	cancel()
	if err := wait(); err != nil {
		t.Fatalf("background work: %v", err)
	}
	if err := ka.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if line := ka.shell.CameraText(); drawn < 5 || line != "演示视频" {
		t.Fatalf("%d frames drawn; camera line after: %q", drawn, line)
	}
	// What the device screen was told meanwhile.
	shell := &shellLog{}
	src, err := renderDemoClip(filepath.Join(c.DataDir, "demo")).open(context.Background(), shell)
	if err != nil || src == nil {
		t.Fatalf("open the rendered clip: %v", err)
	}
	src.Close()
	if len(shell.said) != 2 || shell.said[0] != "preparing" || shell.said[1] != "" {
		t.Fatalf("device screen told %q, want preparing, then the normal line", shell.said)
	}
	ka, err = newApp(context.Background(), test.NewTempApp(t), c)
	if err != nil {
		t.Fatal(err)
	}
	defer ka.Close()
	if ka.clip != nil || ka.src == nil || ka.src.Info().Name != filepath.Join(c.DataDir, "demo", fixture.DemoClipName) {
		t.Fatalf("second start: clip render %v, source %v", ka.clip, ka.src)
	}
}

type shellLog struct{ said []string }

func (s *shellLog) SetCameraPreparing()     { s.said = append(s.said, "preparing") }
func (s *shellLog) SetCameraError(m string) { s.said = append(s.said, m) }

// A demo clip that could not be made refuses checks with its error, and
// the device screen says why.
func TestFailedDemoClipRefusesChecks(t *testing.T) {
	r := &clipRender{done: make(chan struct{}), err: errors.New("no portrait")}
	close(r.done)
	if _, _, _, err := (clipStation{&live.Checker{}, r}).Start(certkiosk.MethodBlink); err == nil {
		t.Fatal("a check started without a demo clip")
	}
	shell := &shellLog{}
	if src, err := r.open(context.Background(), shell); src != nil || err == nil || len(shell.said) != 2 || shell.said[1] == "" {
		t.Fatalf("open: %v, %v; device screen told %q", src, err, shell.said)
	}
}
