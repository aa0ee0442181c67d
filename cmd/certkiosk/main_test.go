package main

import (
	"context"
	"errors"
	"flag"
	"testing"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/store"
)

// F4: a real data directory only ever certifies from a camera.
func TestVideoAndDemoOnlyOnDemoData(t *testing.T) {
	if err := run(t.TempDir(), false, -1, "clip.avi", "zh", "", "", false); err == nil ||
		certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("--video without --demo: %v, want a refusal", err)
	}
	real := t.TempDir()
	db, err := store.Open(context.Background(), real)
	if err != nil {
		t.Fatal(err)
	}
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	if err := db.AddStaff(context.Background(), "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleAdmin}, "135790"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// As on the command line: --demo --data REAL (without --data, demo
	// mode uses its own directory under the default one).
	flag.String("data", "", "")
	if err := flag.Set("data", real); err != nil {
		t.Fatal(err)
	}
	for _, video := range []string{"", "clip.avi"} {
		err := run(real, true, -1, video, "zh", "", "", false)
		if !errors.Is(err, store.ErrRealData) {
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
