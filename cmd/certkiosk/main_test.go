package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/camera"
	"certkiosk/liveness/fixture"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

func testConfig(dir string) config {
	return config{DataDir: dir, DataGiven: true, Camera: -1, CameraGiven: true, Lang: "zh"}
}

// F4: a real data directory only ever certifies from a camera.
func TestVideoAndDemoOnlyOnDemoData(t *testing.T) {
	ctx := context.Background()
	c := testConfig(t.TempDir())
	c.Video = "clip.avi"
	if _, err := newApp(ctx, test.NewTempApp(t), c); err == nil || certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("--video without --demo: %v, want a refusal", err)
	} else if strings.Contains(translation.Error(translation.Chinese, err), "--") {
		t.Fatalf("the message for staff names a flag: %q", translation.Error(translation.Chinese, err))
	}
	real := t.TempDir()
	db, err := store.Open(ctx, real)
	if err != nil {
		t.Fatal(err)
	}
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	if err := db.AddStaff(ctx, "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleAdmin}, "135790"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// As on the command line: --demo --data REAL (without --data, demo
	// mode uses its own directory under the default one).
	for _, video := range []string{"", "clip.avi"} {
		c := testConfig(real)
		c.Demo, c.Video = true, video
		if _, err := newApp(ctx, test.NewTempApp(t), c); !errors.Is(err, store.ErrRealData) {
			t.Fatalf("--demo --data REAL (video %q): %v, want ErrRealData", video, err)
		}
	}
	for want, c := range map[certkiosk.FrameSource]struct {
		video  string
		choice camera.Choice
	}{
		certkiosk.FrameCamera: {"", camera.Choice{Name: "/dev/video0"}},
		certkiosk.FrameDemo:   {"", camera.Choice{Name: "demo.avi", Demo: true}},
		certkiosk.FrameFile:   {"clip.avi", camera.Choice{Name: "clip.avi"}},
	} {
		if got := frameSource(c.video, c.choice); got != want {
			t.Errorf("frameSource(%q, %+v) = %s, want %s", c.video, c.choice, got, want)
		}
	}
}

// The wired kiosk in demo mode: without --data it keeps to DATA/demo,
// signs in from a PIN reader, opens the asked screen, shows frames of the
// demo clip on the device screen, and stops all its work and closes
// everything when asked.
func TestDemoKioskStartsAndStops(t *testing.T) {
	dir := t.TempDir()
	clip, err := fixture.EnsureDemoClip(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := testConfig(dir)
	c.DataGiven, c.Demo, c.Video = false, true, clip
	c.Staff, c.PIN, c.Screen = store.DemoStaffID, strings.NewReader(store.DemoStaffPIN+"\n"), "records"
	ka, err := newApp(context.Background(), test.NewTempApp(t), c)
	if err != nil {
		t.Fatal(err)
	}
	if ka.cfg.DataDir != filepath.Join(dir, "demo") || ka.kiosk.Screen() != "records" || ka.checker == nil || ka.worker != nil {
		t.Fatalf("data %s, screen %s, worker %v", ka.cfg.DataDir, ka.kiosk.Screen(), ka.worker)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := ka.start(ctx)
	deadline := time.Now().Add(20 * time.Second)
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
	if drawn < 5 {
		t.Fatalf("%d demo frames drawn in 20 s", drawn)
	}
	if err := ka.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if ka.db != nil || ka.src != nil {
		t.Fatal("Close left the database or the camera open")
	}
	c.PIN = strings.NewReader("000000\n")
	if _, err := newApp(context.Background(), test.NewTempApp(t), c); err == nil {
		t.Fatal("a wrong PIN for --staff was accepted")
	}
}
