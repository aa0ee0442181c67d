package check

import (
	"context"
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets"
	"certkiosk/store"
)

func TestDrawGuide(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 100, 80))
	box := image.Rect(40, 20, 60, 50)
	DrawGuide(img, box, true)
	if got := img.RGBAAt(30, 40); got != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("guide edge at (30,40) = %v, want white", got)
	}
	if got := img.RGBAAt(50, 20); got != (color.RGBA{40, 200, 80, 255}) {
		t.Fatalf("good face box = %v, want green", got)
	}
	DrawGuide(img, box, false)
	if got := img.RGBAAt(50, 20); got != (color.RGBA{255, 176, 0, 255}) {
		t.Fatalf("face box to move = %v, want amber", got)
	}
	if got := img.RGBAAt(50, 35); got != (color.RGBA{}) {
		t.Fatalf("inside the box = %v, want untouched", got)
	}
	// A box partly or wholly off the frame draws what is inside, no panic.
	DrawGuide(img, image.Rect(90, 70, 140, 120), true)
	DrawGuide(img, image.Rect(200, 200, 220, 220), true)
	// A frame whose bounds do not start at 0 gets the guide inside it.
	sub := image.NewRGBA(image.Rect(100, 100, 200, 180))
	DrawGuide(sub, image.Rectangle{}, true)
	if got := sub.RGBAAt(130, 140); got != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("guide on an offset frame = %v", got)
	}
}

func TestUpdateFinal(t *testing.T) {
	if (Update{Prompt: "x"}).Final() || !(Update{Done: true}).Final() || !(Update{Err: context.Canceled}).Final() {
		t.Fatal("Final is wrong")
	}
}

// Save keeps a pass with its best frame as encrypted evidence, and a
// failure with its reason; a record for nobody on the roster is refused
// with the masked ID in the error.
func TestSave(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	if err := store.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	ids, err := db.ListRetireeIDs(ctx, 1)
	if err != nil || len(ids) == 0 {
		t.Fatalf("roster: %v", err)
	}
	now := time.Now()
	a := Attempt{Retiree: ids[0], Staff: store.DemoStaffID, Method: certkiosk.MethodBlink, Number: 1,
		FrameSource: certkiosk.FrameDemo}
	c, err := Save(ctx, db, "staff:"+store.DemoStaffID, a, Result{Verdict: certkiosk.VerdictPass,
		Metrics: []byte(`{"blinks":2}`), Best: []byte("\xff\xd8 jpeg"), Started: now, Ended: now.Add(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if c.Receipt == "" || c.FrameSource != certkiosk.FrameDemo || c.Attempt != 1 {
		t.Fatalf("record %+v", c)
	}
	ev, err := db.EvidenceOf(ctx, c.ID)
	if err != nil || len(ev) != 1 {
		t.Fatalf("evidence %d, %v", len(ev), err)
	}
	a.Number, a.Method, a.Code = 2, certkiosk.MethodDigits, "4821"
	c, err = Save(ctx, db, "staff:"+store.DemoStaffID, a, Result{Verdict: certkiosk.VerdictFail, Reason: "no_voice",
		Metrics: []byte(`{}`), Started: now.Add(6 * time.Second), Ended: now.Add(7 * time.Second), SpeechCheck: "lips_voice"})
	if err != nil || c.Reason != "no_voice" || c.Challenge != "4821" {
		t.Fatalf("failure record %+v, %v", c, err)
	}
	if got, err := db.Certification(ctx, c.ID); err != nil || got.SpeechCheck != certkiosk.SpeechLipsVoice {
		t.Fatalf("stored speech check %q, %v", got.SpeechCheck, err)
	}
	if ev, _ := db.EvidenceOf(ctx, c.ID); len(ev) != 0 {
		t.Fatal("evidence stored for a failure without a best frame")
	}
	// The reference-photo rule: a pass with a photo shown needs staff's
	// answer; 不一致 makes it a manual review; no photo, no answer kept.
	// Each attempt ends after the one before (the store refuses a clock
	// that went back).
	later := func(r Result) Result {
		now = now.Add(10 * time.Second)
		r.Started, r.Ended = now, now.Add(time.Second)
		return r
	}
	pass := Result{Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`), Started: now, Ended: now.Add(time.Second)}
	ra := a
	ra.Number, ra.Method, ra.Code, ra.ReferenceShown = 1, certkiosk.MethodBlink, "", true
	if _, err := Save(ctx, db, "staff:"+store.DemoStaffID, ra, later(pass)); !errors.Is(err, ErrPhotoUnanswered) {
		t.Fatalf("a pass without staff's answer: %v", err)
	}
	no, yes := false, true
	ra.PhotoMatch = &no
	if c, err := Save(ctx, db, "staff:"+store.DemoStaffID, ra, later(pass)); err != nil || c.Verdict != certkiosk.VerdictManualReview ||
		c.Reason != ReasonPhotoMismatch || c.PhotoMatch == nil || *c.PhotoMatch {
		t.Fatalf("a pass staff found unlike the photo: %+v, %v", c, err)
	}
	ra.PhotoMatch = &yes
	if c, err := Save(ctx, db, "staff:"+store.DemoStaffID, ra, later(pass)); err != nil || c.Verdict != certkiosk.VerdictPass ||
		c.PhotoMatch == nil || !*c.PhotoMatch {
		t.Fatalf("a confirmed pass: %+v, %v", c, err)
	}
	ra.PhotoMatch = nil // a failure nobody was asked about
	fail := Result{Verdict: certkiosk.VerdictFail, Reason: "no_blink", Metrics: []byte(`{}`), Started: now, Ended: now}
	if c, err := Save(ctx, db, "staff:"+store.DemoStaffID, ra, later(fail)); err != nil || c.Verdict != certkiosk.VerdictFail || c.PhotoMatch != nil {
		t.Fatalf("an unanswered failure: %+v, %v", c, err)
	}
	ra.ReferenceShown, ra.PhotoMatch = false, &no // no photo: no answer kept
	if c, err := Save(ctx, db, "staff:"+store.DemoStaffID, ra, later(pass)); err != nil || c.Verdict != certkiosk.VerdictPass || c.PhotoMatch != nil {
		t.Fatalf("a pass without a photo: %+v, %v", c, err)
	}
	a.Retiree = "110101194001011237"
	if _, err := Save(ctx, db, "staff:"+store.DemoStaffID, a, later(Result{Verdict: certkiosk.VerdictFail, Reason: "x",
		Metrics: []byte(`{}`)})); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID ||
		strings.Contains(err.Error(), string(a.Retiree)) {
		// The foreign key is recognised by SQLite's result code, and the
		// error never shows the full number.
		t.Fatalf("a record for someone not on the roster: %v", err)
	}
}

// Each reason of the microphone check is spoken from a rendered prompt.
func TestReasonVoice(t *testing.T) {
	for _, r := range []string{"no_voice", "voice_without_lips", "out_of_sync", "too_noisy", "digit_count"} {
		keys := ReasonVoice(r)
		if len(keys) != 1 {
			t.Fatalf("%s: no voice", r)
		}
		if _, err := assets.Voices.ReadFile("voice/" + keys[0] + ".wav"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	if ReasonVoice("no_blink") != nil {
		t.Error("a reason outside the microphone check got a voice")
	}
}
