package store

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"certkiosk"
)

// fastKDF keeps argon2id honest but cheap in tests.
var fastKDF = KDFParams{Time: 1, Memory: 1024, Threads: 1}

// fixture is a database with a roster, an operator and an evidence key.
type fixture struct {
	s        *DB
	dir      string
	roster   []certkiosk.Retiree
	identity string // the age identity evidence is encrypted to
	clock    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, dir := openTemp(t)
	s.KDF = fastKDF
	f := &fixture{s: s, dir: dir, clock: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	s.SetClock(func() time.Time { return f.clock })
	ctx := context.Background()
	var err error
	if f.roster, err = DemoRoster(50, 3, certkiosk.Date{Year: 2026, Month: 11, Day: 27}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRetirees(ctx, f.roster, true); err != nil {
		t.Fatal(err)
	}
	if err := s.AddStaff(ctx, "test", certkiosk.Staff{ID: "A001", Name: "张工", Role: certkiosk.RoleOperator}, "246810"); err != nil {
		t.Fatal(err)
	}
	if f.identity, err = s.CreateLocalEvidenceKey(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	return f
}

// testJPEG makes a small JPEG with some structure.
func testJPEG(t testing.TB, seed int) []byte {
	t.Helper()
	return jpegBytes(seed)
}

func jpegBytes(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	for y := 0; y < 96; y++ {
		for x := 0; x < 96; x++ {
			img.Set(x, y, color.RGBA{uint8(x*3 + seed), uint8(y * 2), uint8((x ^ y) + seed), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		panic(err) // encoding into memory cannot fail
	}
	return b.Bytes()
}

func (f *fixture) cert(i int, v certkiosk.Verdict) *certkiosk.Certification {
	return &certkiosk.Certification{FrameSource: certkiosk.FrameCamera,
		RetireeID: f.roster[i%len(f.roster)].ID, StaffID: "A001", Method: certkiosk.MethodBlink,
		Verdict: v, Metrics: []byte(`{"blinks":2,"ear_baseline":0.31}`),
		Started: f.clock.Add(-20 * time.Second), Ended: f.clock, Attempt: 1,
	}
}
