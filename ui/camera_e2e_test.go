package ui

// This test drives the screens with the real check service on a
// file-backed camera. Only the test links OpenCV: package ui itself does
// not (deps_test.go).

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/check"
	"certkiosk/check/live"
	"certkiosk/liveness/fixture"
	"certkiosk/store"

	"fyne.io/fyne/v2"
)

// The whole flow on a file-backed camera with the real detector and the
// real session: sign in → search → certify (blink, then digits) → pass →
// receipt whose QR verifies; and a clip with no face fails with words.
func TestCertifyOnFileCamera(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	clip, err := fixture.EnsureDemoClip(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func(clipPath string, method certkiosk.Method) {
		src, err := camera.OpenFile(clipPath, true)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		checker := &live.Checker{Settings: check.Settings{Blinks: func() int { return 2 },
			TimeLimit: func() time.Duration { return 10 * time.Second }}, Positioning: 3 * time.Second}
		preview := NewPreview(fyne.NewSize(320, 240))
		preview.do = ui.run
		k.opt.Checker, k.opt.Preview = checker, preview
		ctx, cancel := context.WithCancel(context.Background())
		fed := make(chan error, 1)
		go func() { fed <- live.Feed(ctx, src, preview, checker, func(error) {}, nil) }()
		defer func() { cancel(); <-fed }()
		var screen string
		ui.run(func() { k.StartCertification(method); screen = k.Screen() })
		if screen != "certify" {
			t.Fatalf("certify screen: %s", screen)
		}
		// The check ends by itself (verdict or time limit); a watchdog
		// cancels it, failing the test, if it hangs.
		watchdog := time.AfterFunc(60*time.Second, func() {
			ui.run(func() {
				if k.cancelCheck != nil {
					k.cancelCheck()
				}
			})
		})
		k.follows.Wait()
		watchdog.Stop()
	}
	r := openCard(t, k, db)
	run(clip, certkiosk.MethodBlink)
	if k.Screen() != "pass" {
		t.Fatalf("blink on the demo clip: %s: %s", k.Screen(), screenText(k))
	}
	key, _ := db.TerminalKey(context.Background())
	if _, err := certkiosk.VerifyReceiptToken(k.LastReceiptToken(), key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatalf("receipt token: %v", err)
	}
	recs, _ := db.ListCertifications(context.Background(), store.CertFilter{Retiree: r.ID})
	if len(recs) != 1 || recs[0].Verdict != certkiosk.VerdictPass || !strings.Contains(screenText(k), string(recs[0].Receipt)) {
		t.Fatalf("record %+v; screen %s", recs, screenText(k))
	}
	if ev, _ := db.EvidenceOf(context.Background(), recs[0].ID); len(ev) != 1 {
		t.Fatal("the best frame was not kept as evidence")
	}
	tapButton(t, k, "完成，返回首页")

	openCard(t, k, db)
	run(clip, certkiosk.MethodDigits)
	if k.Screen() != "pass" {
		t.Fatalf("digits on the demo clip: %s: %s", k.Screen(), screenText(k))
	}
	tapButton(t, k, "完成，返回首页")

	// No face: fails, with the reason in words.
	rr, err := fixture.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.avi")
	if _, err := rr.Render(fixture.Spec{Name: "empty", Mode: certkiosk.MethodBlink, Seconds: 2, Seed: 3, NoFace: true}, empty); err != nil {
		t.Fatal(err)
	}
	rr.Close()
	openCard(t, k, db)
	run(empty, certkiosk.MethodBlink)
	if k.Screen() != "fail" || !strings.Contains(screenText(k), "没有看到人脸") {
		t.Fatalf("no face: %s: %s", k.Screen(), screenText(k))
	}
}
