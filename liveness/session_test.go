package liveness

import (
	"image"
	"math"
	"testing"
	"time"

	"certkiosk"
)

const frameDur = time.Second / 30

// synth builds frames of a well-placed face whose eyes follow ear(i) and
// mouth follows mar(i) (aspect ratios), with optional per-frame overrides.
type synth struct {
	n        int
	ear, mar func(i int) float64
	faces    func(i int) int
	bright   float64
}

// face68 places a plausible 68-point face in a 640×480 frame and sets the
// eyes' and inner mouth's aspect ratios exactly.
func face68(ear, mar float64) [68]Point {
	// A generic frontal head (see pose_test.go), outer eye corners 100 px
	// apart, nose tip at (320, 240).
	p := project(0, 0, 0, 100.0/450)
	// Jaw 0..16 across x 240..400 (nose in the middle: frontal).
	for i := 0; i <= 16; i++ {
		p[i] = Point{240 + float64(i)*10, 200 + 60*math.Sin(math.Pi*float64(i)/16)}
	}
	eyeAt := func(idx [6]int, x0 float64) {
		w := 30.0
		h := ear * w // EAR = h / w for this shape
		pts := [6]Point{{x0, 200}, {x0 + w/3, 200 - h/2}, {x0 + 2*w/3, 200 - h/2}, {x0 + w, 200}, {x0 + 2*w/3, 200 + h/2}, {x0 + w/3, 200 + h/2}}
		for k, i := range idx {
			p[i] = pts[k]
		}
	}
	eyeAt(rightEye, 270)
	eyeAt(leftEye, 340)
	w := 40.0
	h := mar * w
	m := [8]Point{{300, 260}, {310, 260 - h/2}, {320, 260 - h/2}, {330, 260 - h/2}, {340, 260}, {330, 260 + h/2}, {320, 260 + h/2}, {310, 260 + h/2}}
	for k, i := range innerLip {
		p[i] = m[k]
	}
	return p
}

func (s synth) frame(i int) Frame {
	f := Frame{Index: i, Time: time.Duration(i) * frameDur, Size: image.Pt(640, 480),
		Faces: 1, Box: image.Rect(235, 140, 405, 310), HasShape: true, Brightness: 120, Sharpness: 200}
	if s.bright != 0 {
		f.Brightness = s.bright
	}
	if s.faces != nil {
		f.Faces = s.faces(i)
		if f.Faces == 0 {
			f.HasShape, f.Box = false, image.Rectangle{}
		}
	}
	ear, mar := 0.30, 0.15
	if s.ear != nil {
		ear = s.ear(i)
	}
	if s.mar != nil {
		mar = s.mar(i)
	}
	if f.HasShape {
		f.Landmarks = face68(ear, mar)
	}
	return f
}

// run feeds the frames to a new session and finishes it.
func run(t *testing.T, cfg Config, s synth) (Result, []Update) {
	t.Helper()
	sess, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ups []Update
	for i := 0; i < s.n; i++ {
		ups = append(ups, sess.Observe(s.frame(i)))
	}
	return sess.Finish(), ups
}

// blinks returns an EAR curve, open at open, with natural blinks (3 frames
// closing, 2 closed, 3 opening) starting at the given frames.
func blinks(open float64, starts ...int) func(int) float64 {
	prof := []float64{0.8, 0.6, 0.45, 0.45, 0.45, 0.6, 0.8, 1}
	return func(i int) float64 {
		for _, s := range starts {
			if k := i - s; k >= 0 && k < len(prof) {
				return open * prof[k]
			}
		}
		return open
	}
}

func TestBlinkSessionPassesAfterTwoBlinks(t *testing.T) {
	for _, open := range []float64{0.33, 0.21} { // plain eyes; glasses or a smile
		r, ups := run(t, Config{Mode: certkiosk.MethodBlink}, synth{n: 150, ear: blinks(open, 50, 80)})
		if r.Verdict != certkiosk.VerdictPass || len(r.Blinks) != 2 {
			t.Fatalf("open EAR %.2f: %s %q with %d blinks, want pass with 2", open, r.Verdict, r.Reason, len(r.Blinks))
		}
		if math.Abs(r.Baseline.EAR-open) > 1e-9 {
			t.Errorf("baseline EAR %.3f, want %.3f", r.Baseline.EAR, open)
		}
		// The second blink's eyes are fully open again at frame 87.
		if r.DecidedAtFrame < 80 || r.DecidedAtFrame > 87+6 {
			t.Errorf("decided at frame %d, want within 6 frames of 87", r.DecidedAtFrame)
		}
		if !ups[r.DecidedAtFrame].Done || ups[r.DecidedAtFrame-1].Done {
			t.Errorf("Update.Done not set exactly at the deciding frame")
		}
	}
}

func TestBlinkBeforePromptDoesNotCount(t *testing.T) {
	// A blink inside the baseline second (frames 3–32), then one after.
	r, _ := run(t, Config{Mode: certkiosk.MethodBlink}, synth{n: 150, ear: blinks(0.3, 10, 70)})
	if r.Verdict != certkiosk.VerdictFail || r.Reason != ReasonNoBlink || len(r.Blinks) != 1 {
		t.Fatalf("%s %q with %d blinks, want fail no_blink with 1", r.Verdict, r.Reason, len(r.Blinks))
	}
	// The median keeps the baseline at the open value despite the blink.
	if math.Abs(r.Baseline.EAR-0.3) > 1e-9 {
		t.Errorf("baseline EAR %.3f, want 0.3", r.Baseline.EAR)
	}
	// With a prompt delay the window starts later: a blink between the
	// baseline and the prompt is not counted either.
	r, _ = run(t, Config{Mode: certkiosk.MethodBlink, PromptDelay: time.Second}, synth{n: 150, ear: blinks(0.3, 45, 80, 110)})
	if len(r.Blinks) != 2 || r.Blinks[0].StartFrame < 63 {
		t.Fatalf("prompt delay: counted %v, want the blinks at 80 and 110 only", r.Blinks)
	}
}

func TestBlinkUnderWayAtPromptDoesNotCount(t *testing.T) {
	// Eyes closing right at the end of the baseline (frame 33).
	r, _ := run(t, Config{Mode: certkiosk.MethodBlink, Blinks: 1}, synth{n: 120, ear: blinks(0.3, 31)})
	if r.Verdict != certkiosk.VerdictFail || len(r.Blinks) != 0 {
		t.Fatalf("%s with %d blinks, want fail with 0", r.Verdict, len(r.Blinks))
	}
}

func TestEyesThatNeverReopenAreNotABlink(t *testing.T) {
	closeAt := func(i int) float64 {
		if i >= 60 {
			return 0.12
		}
		return 0.3
	}
	r, _ := run(t, Config{Mode: certkiosk.MethodBlink, Blinks: 1}, synth{n: 200, ear: closeAt})
	if r.Verdict != certkiosk.VerdictFail || len(r.Blinks) != 0 {
		t.Fatalf("eyes shut at 2 s: %s with %d blinks, want fail with 0", r.Verdict, len(r.Blinks))
	}
	// Shut for a whole second and then open: too long for a blink.
	long := func(i int) float64 {
		if i >= 60 && i < 90 {
			return 0.12
		}
		return 0.3
	}
	if r, _ := run(t, Config{Mode: certkiosk.MethodBlink, Blinks: 1}, synth{n: 150, ear: long}); len(r.Blinks) != 0 {
		t.Fatalf("1 s closure counted as %d blinks", len(r.Blinks))
	}
	// Eyes shut from the start with landmark jitter (dips of 30 % for
	// three frames, as a few pixels of lid noise are on a shut eye): the
	// baseline is low and the jitter is no blink.
	shutJitter := func(i int) float64 {
		if i%20 < 3 {
			return 0.084
		}
		return 0.12
	}
	if r, _ := run(t, Config{Mode: certkiosk.MethodBlink, Blinks: 1}, synth{n: 300, ear: shutJitter}); len(r.Blinks) != 0 {
		t.Fatalf("jitter on shut eyes counted as %d blinks", len(r.Blinks))
	}
	// Eyes shut from the start: the baseline is low, nothing ever opens.
	if r, _ := run(t, Config{Mode: certkiosk.MethodBlink, Blinks: 1}, synth{n: 150, ear: func(int) float64 { return 0.12 }}); r.Verdict != certkiosk.VerdictFail {
		t.Fatalf("eyes shut throughout: %s", r.Verdict)
	}
}

func TestBlinkDetectorDurations(t *testing.T) {
	feed := func(closed int) int {
		d := NewBlinkDetector(0.3, DefaultBlink)
		n := 0
		for i := 0; i < 60; i++ {
			ear := 0.3
			if i >= 10 && i < 10+closed {
				ear = 0.12
			}
			if _, ok := d.Observe(i, time.Duration(i)*frameDur, ear); ok {
				n++
			}
		}
		return n
	}
	for closed, want := range map[int]int{1: 0, 2: 1, 5: 1, 14: 1, 16: 0, 40: 0} {
		if got := feed(closed); got != want {
			t.Errorf("eyes closed %d frames: %d blinks, want %d", closed, got, want)
		}
	}
	// Losing the face mid-blink cancels it.
	d := NewBlinkDetector(0.3, DefaultBlink)
	d.Observe(0, 0, 0.3)
	d.Observe(1, frameDur, 0.1)
	d.Missing(10 * frameDur)
	if _, ok := d.Observe(11, 11*frameDur, 0.3); ok {
		t.Error("a blink across a 300 ms gap was counted")
	}
}

// talk returns a MAR curve with syllables (open–close cycles of n frames)
// starting at from, each rising by rise.
func talk(base, rise float64, from, syllables, n int) func(int) float64 {
	return func(i int) float64 {
		k := i - from
		if k < 0 || k >= syllables*n {
			return base
		}
		ph := float64(k%n) / float64(n)
		return base + rise*math.Pow(math.Sin(math.Pi*ph), 2)
	}
}

func TestDigitsSession(t *testing.T) {
	cfg := Config{Mode: certkiosk.MethodDigits, Code: "4821"} // needs ceil(0.6·4) = 3 cycles
	r, _ := run(t, cfg, synth{n: 150, mar: talk(0.15, 0.2, 45, 5, 10)})
	if r.Verdict != certkiosk.VerdictPass || r.MouthCycles != 3 {
		t.Fatalf("talking: %s %q with %d cycles, want pass at 3", r.Verdict, r.Reason, r.MouthCycles)
	}
	if r.DecidedAtFrame > 45+3*10+6 {
		t.Errorf("decided at %d, want by the third cycle's end", r.DecidedAtFrame)
	}
	r, _ = run(t, cfg, synth{n: 150})
	if r.Verdict != certkiosk.VerdictFail || r.Reason != ReasonNoSpeech || r.MouthCycles != 0 {
		t.Fatalf("silent: %s %q with %d cycles", r.Verdict, r.Reason, r.MouthCycles)
	}
	// Two syllables for four digits are not enough.
	r, _ = run(t, cfg, synth{n: 150, mar: talk(0.15, 0.2, 45, 2, 10)})
	if r.Verdict != certkiosk.VerdictFail || r.MouthCycles != 2 {
		t.Fatalf("two syllables: %s with %d cycles", r.Verdict, r.MouthCycles)
	}
	// Lip jitter of a few hundredths is not speech.
	jitter := func(i int) float64 { return 0.15 + 0.04*math.Sin(float64(i)) }
	if r, _ = run(t, cfg, synth{n: 150, mar: jitter}); r.Verdict != certkiosk.VerdictFail {
		t.Fatalf("jitter passed with %d cycles", r.MouthCycles)
	}
	// A mouth held open (a yawn) then closed is no syllable.
	yawn := func(i int) float64 {
		if i >= 50 && i < 110 {
			return 0.5
		}
		return 0.15
	}
	if r, _ = run(t, cfg, synth{n: 150, mar: yawn}); r.Verdict != certkiosk.VerdictFail || r.MouthCycles != 0 {
		t.Fatalf("yawn: %s with %d cycles", r.Verdict, r.MouthCycles)
	}
	// Talking that happened before the prompt does not count.
	if r, _ = run(t, cfg, synth{n: 150, mar: talk(0.15, 0.2, 3, 3, 10)}); r.Verdict != certkiosk.VerdictFail {
		t.Fatalf("talking before the prompt passed with %d cycles", r.MouthCycles)
	}
}

// An audio check plugs in beside the lips without touching the session.
type fakeAudio struct{ voiced bool }

func (a *fakeAudio) Start(string, Baseline, time.Duration) {}
func (a *fakeAudio) Frame(*Frame)                          {}
func (a *fakeAudio) Decide(final bool) SpeechResult {
	if a.voiced {
		return SpeechResult{Done: true, Pass: true}
	}
	if final {
		return SpeechResult{Done: true, Reason: "no_voice"}
	}
	return SpeechResult{}
}

func TestSpeechChecksCombine(t *testing.T) {
	lips := talk(0.15, 0.2, 45, 5, 10)
	for _, voiced := range []bool{true, false} {
		cfg := Config{Mode: certkiosk.MethodDigits, Code: "4821",
			Speech: AllSpeech(NewLipCheck(DefaultLips), &fakeAudio{voiced: voiced})}
		r, _ := run(t, cfg, synth{n: 150, mar: lips})
		want := map[bool]certkiosk.Verdict{true: certkiosk.VerdictPass, false: certkiosk.VerdictFail}[voiced]
		if r.Verdict != want || (!voiced && r.Reason != "no_voice") || r.MouthCycles < 3 {
			t.Errorf("voiced=%v: %s %q cycles %d", voiced, r.Verdict, r.Reason, r.MouthCycles)
		}
	}
}

func TestSessionFailsWithQualityReasons(t *testing.T) {
	cfg := Config{Mode: certkiosk.MethodBlink}
	none := func(int) int { return 0 }
	if r, _ := run(t, cfg, synth{n: 60, faces: none}); r.Reason != IssueNoFace.Code || r.DecidedAtFrame != 59 {
		t.Errorf("no face: %q at %d", r.Reason, r.DecidedAtFrame)
	}
	if r, _ := run(t, cfg, synth{n: 60, bright: 20}); r.Reason != IssueTooDark.Code {
		t.Errorf("dark: %q", r.Reason)
	}
	two := func(int) int { return 2 }
	if r, _ := run(t, cfg, synth{n: 60, faces: two}); r.Reason != IssueMultipleFaces.Code {
		t.Errorf("two faces: %q", r.Reason)
	}
	// A second face that stays half a second during the challenge ends it.
	// (Frame times are whole nanoseconds: 15 frames are a hair under 0.5 s,
	// so limits land on the frame after.)
	later := func(i int) int {
		if i >= 60 {
			return 2
		}
		return 1
	}
	r, _ := run(t, cfg, synth{n: 150, faces: later})
	if r.Reason != IssueMultipleFaces.Code || r.DecidedAtFrame < 75 || r.DecidedAtFrame > 76 {
		t.Errorf("second face at 2 s: %q at frame %d, want multiple_faces at 75–76", r.Reason, r.DecidedAtFrame)
	}
	// Live use: positioning and challenge time out.
	r, _ = run(t, Config{Mode: certkiosk.MethodBlink, PositioningTimeout: time.Second}, synth{n: 150, faces: none})
	if r.Reason != IssueNoFace.Code || r.DecidedAtFrame < 30 || r.DecidedAtFrame > 31 {
		t.Errorf("positioning timeout: %q at %d, want no_face at 30–31", r.Reason, r.DecidedAtFrame)
	}
	r, _ = run(t, Config{Mode: certkiosk.MethodBlink, TimeLimit: 2 * time.Second}, synth{n: 300})
	if r.Reason != ReasonNoBlink || r.DecidedAtFrame < 93 || r.DecidedAtFrame > 94 {
		t.Errorf("challenge time limit: %q at %d, want no_blink at 93–94", r.Reason, r.DecidedAtFrame)
	}
}

func TestSessionUpdatesPrompt(t *testing.T) {
	sess, err := NewSession(Config{Mode: certkiosk.MethodBlink})
	if err != nil {
		t.Fatal(err)
	}
	s := synth{n: 60}
	var last Update
	for i := 0; i < 40; i++ {
		last = sess.Observe(s.frame(i))
	}
	if last.State != StateChallenge || last.Prompt != PromptChallenge {
		t.Fatalf("after 40 frames: %v %q", last.State, last.Prompt)
	}
	far := s.frame(40)
	far.Box = image.Rect(300, 200, 340, 240) // 40 px wide
	if u := sess.Observe(far); u.Issue != IssueTooSmall || u.Prompt != IssueTooSmall.Code {
		t.Fatalf("small face: %+v", u)
	}
}

func TestSessionIsDeterministic(t *testing.T) {
	s := synth{n: 150, ear: blinks(0.3, 50, 90), faces: func(i int) int { return 1 + i%37/36 }}
	a, _ := run(t, Config{Mode: certkiosk.MethodBlink}, s)
	for range 3 {
		b, _ := run(t, Config{Mode: certkiosk.MethodBlink}, s)
		if a.Verdict != b.Verdict || a.DecidedAtFrame != b.DecidedAtFrame || len(a.Blinks) != len(b.Blinks) || a.Baseline != b.Baseline {
			t.Fatalf("runs differ: %+v vs %+v", a, b)
		}
	}
}

func TestLiveSettings(t *testing.T) {
	delays := map[time.Duration]bool{}
	for range 10 {
		cfg, err := Live(Config{Mode: certkiosk.MethodBlink})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TimeLimit != 10*time.Second || cfg.PositioningTimeout == 0 || cfg.PromptDelay < LivePromptMin || cfg.PromptDelay >= LivePromptMax {
			t.Fatalf("live config %+v", cfg)
		}
		delays[cfg.PromptDelay] = true
	}
	if len(delays) < 5 {
		t.Fatalf("prompt delays barely vary: %v", delays)
	}
	cfg, _ := Live(Config{Mode: certkiosk.MethodBlink, TimeLimit: 5 * time.Second})
	if cfg.TimeLimit != 5*time.Second {
		t.Fatalf("Live overrode the time limit: %v", cfg.TimeLimit)
	}
}

func TestNewSessionRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Mode: "wink"},
		{Mode: certkiosk.MethodDigits, Code: "12"},
		{Mode: certkiosk.MethodDigits, Code: "12a4"},
		{Mode: certkiosk.MethodBlink, Blinks: -1},
	} {
		if _, err := NewSession(cfg); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
			t.Errorf("%+v: err %v, want invalid", cfg, err)
		}
	}
}

func TestGates(t *testing.T) {
	s := synth{n: 1}
	good := s.frame(0)
	if is, ok := DefaultGates.Check(&good); !ok {
		t.Fatalf("good frame: %+v", is)
	}
	tests := []struct {
		want Issue
		edit func(f *Frame)
	}{
		{IssueNoFace, func(f *Frame) { f.Faces, f.HasShape = 0, false }},
		{IssueTooDark, func(f *Frame) { f.Faces, f.HasShape, f.Brightness = 0, false, 15 }},
		{IssueMultipleFaces, func(f *Frame) { f.Faces = 3 }},
		{IssueTooSmall, func(f *Frame) { f.Box = image.Rect(300, 200, 360, 260) }},
		{IssueTooLarge, func(f *Frame) { f.Box = image.Rect(50, 0, 600, 480) }},
		{IssueOffCentre, func(f *Frame) { f.Box = image.Rect(480, 140, 630, 290) }},
		{IssueTooDark, func(f *Frame) { f.Brightness = 25 }},
		{IssueTooBright, func(f *Frame) { f.Brightness = 240 }},
		{IssueBlurred, func(f *Frame) { f.Sharpness = 2 }},
		{IssueTurnRight, func(f *Frame) { f.Landmarks = project(50, 0, 0, 0.22) }},
		{IssueTurnLeft, func(f *Frame) { f.Landmarks = project(-45, 10, 20, 0.22) }},
		{IssueLookUp, func(f *Frame) { f.Landmarks = project(10, 45, 0, 0.22) }},
		{IssueLookDown, func(f *Frame) { f.Landmarks = project(0, -40, -25, 0.22) }},
	}
	for _, tt := range tests {
		f := s.frame(0)
		tt.edit(&f)
		if is, ok := DefaultGates.Check(&f); ok || is != tt.want {
			t.Errorf("want %s, got %+v ok=%v", tt.want.Code, is, ok)
		}
		if tt.want.Code == "" {
			t.Errorf("issue %+v lacks a code", tt.want)
		}
	}
}

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for n := 4; n <= 6; n++ {
		for range 50 {
			c, err := NewCode(n)
			if err != nil || len(c) != n || !validCode(c) {
				t.Fatalf("NewCode(%d) = %q, %v", n, c, err)
			}
			seen[c] = true
		}
	}
	if len(seen) < 140 {
		t.Errorf("only %d distinct codes of 150", len(seen))
	}
	for _, n := range []int{3, 7} {
		if _, err := NewCode(n); err == nil {
			t.Errorf("NewCode(%d) accepted", n)
		}
	}
	for range 20 {
		d, err := RandomDelay(time.Second, 2*time.Second)
		if err != nil || d < time.Second || d >= 2*time.Second {
			t.Fatalf("RandomDelay = %v, %v", d, err)
		}
	}
}

func TestBestScore(t *testing.T) {
	s := synth{n: 1}
	b := Baseline{EAR: 0.3, MAR: 0.15}
	open := s.frame(0)
	if BestScore(&open, b, DefaultGates, DefaultBlink) <= 0 {
		t.Fatal("open frontal eyes scored 0")
	}
	shut := synth{n: 1, ear: func(int) float64 { return 0.12 }}.frame(0)
	if BestScore(&shut, b, DefaultGates, DefaultBlink) != 0 {
		t.Fatal("closed eyes scored")
	}
	sharper := open
	sharper.Sharpness *= 2
	if BestScore(&sharper, b, DefaultGates, DefaultBlink) <= BestScore(&open, b, DefaultGates, DefaultBlink) {
		t.Fatal("sharper frame did not score higher")
	}
}
