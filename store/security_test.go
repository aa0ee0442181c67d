package store

import (
	"context"
	"errors"
	"strings"
	gosync "sync"
	"testing"

	"certkiosk"
	"certkiosk/assets/translation"
)

// F8: twelve concurrent guesses check at most MaxFailedLogins PINs; the
// rest are refused as locked, and the right PIN is then refused too.
func TestConcurrentGuessesNeverPassTheLimit(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	s.KDF = KDFParams{Time: 1, Memory: 8 * 1024, Threads: 1} // slow enough for guesses to overlap
	var wg gosync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 12)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Login(ctx, "A001", "000000")
		}()
	}
	close(start)
	wg.Wait()
	var wrongs, locks int
	for _, err := range errs {
		var le *LockedError
		switch {
		case errors.As(err, &le):
			locks++
		case translation.Error(translation.Chinese, err) == "工号或密码不对":
			wrongs++
		default:
			t.Fatalf("guess: %v", err)
		}
	}
	if wrongs > MaxFailedLogins-1 || wrongs+locks != 12 {
		t.Fatalf("%d guesses were checked and told wrong, %d locked; at most %d may be checked", wrongs, locks, MaxFailedLogins)
	}
	entries, _ := s.AuditEntries(ctx, 100)
	checked := 0
	for _, e := range entries {
		if e.Action == ActLoginFailed {
			checked++
		}
	}
	if checked > MaxFailedLogins {
		t.Fatalf("%d PINs were checked, limit %d", checked, MaxFailedLogins)
	}
	if _, err := s.Login(ctx, "A001", "246810"); !errors.As(err, new(*LockedError)) {
		t.Fatalf("right PIN after the burst: %v, want locked", err)
	}
}

// F11: sign-in answers do not tell which staff IDs exist: unknown IDs are
// counted and locked like real ones, and a disabled account says so only
// to its right PIN.
func TestSignInAnswersDoNotRevealStaffIDs(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	answers := func(id string) []string {
		var out []string
		for i := 0; i < MaxFailedLogins+1; i++ {
			_, err := s.Login(ctx, id, "000000")
			out = append(out, translation.Error(translation.Chinese, err))
		}
		return out
	}
	real, ghost := answers("A001"), answers("Z999")
	for i := range real {
		if real[i] != ghost[i] {
			t.Fatalf("attempt %d: real ID answered %q, unknown ID %q", i+1, real[i], ghost[i])
		}
	}
	if real[MaxFailedLogins-1] == real[0] {
		t.Fatalf("no lock after %d wrong PINs: %q", MaxFailedLogins, real)
	}
	// A disabled account: wrong PIN answers like any wrong PIN.
	if err := s.AddStaff(ctx, "t", certkiosk.Staff{ID: "B002", Role: certkiosk.RoleOperator}, "864200"); err != nil {
		t.Fatal(err)
	}
	s.SQL().Exec(`UPDATE staff SET disabled = 1 WHERE id = 'B002'`)
	_, e1 := s.Login(ctx, "B002", "000000")
	_, e2 := s.Login(ctx, "C003", "000000")
	if translation.Error(translation.Chinese, e1) != translation.Error(translation.Chinese, e2) {
		t.Fatalf("disabled account, wrong PIN: %q; unknown: %q", translation.Error(translation.Chinese, e1), translation.Error(translation.Chinese, e2))
	}
	if _, err := s.Login(ctx, "B002", "864200"); translation.Error(translation.Chinese, err) != "该账号已停用" {
		t.Fatalf("disabled account, right PIN: %v", err)
	}
	// Whatever was typed as an unknown ID stays out of the audit log.
	entries, _ := s.AuditEntries(ctx, 200)
	for _, e := range entries {
		if e.Subject == "Z999" || e.Actor == "staff:Z999" {
			t.Fatalf("unknown ID logged: %+v", e)
		}
	}
}

// F4: every record carries its frame source; "none" only for a manual review.
func TestRecordsCarryTheirFrameSource(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for src, ok := range map[certkiosk.FrameSource]bool{"": false, "screen": false, certkiosk.FrameNone: false,
		certkiosk.FrameCamera: true, certkiosk.FrameFile: true, certkiosk.FrameDemo: true} {
		c := f.cert(1, certkiosk.VerdictPass)
		c.FrameSource = src
		if err := f.s.SaveCertification(ctx, "t", c, nil); (err == nil) != ok {
			t.Errorf("pass from %q: %v, want ok=%v", src, err, ok)
		}
		if ok {
			got, _ := f.s.Certification(ctx, c.ID)
			if got.FrameSource != src {
				t.Errorf("stored frame source %q, want %q", got.FrameSource, src)
			}
		}
	}
	c := f.cert(2, certkiosk.VerdictManualReview)
	c.FrameSource = certkiosk.FrameNone
	if err := f.s.SaveCertification(ctx, "t", c, nil); err != nil {
		t.Fatalf("manual review without frames: %v", err)
	}
}

// Issue 15: a digits record keeps which speech check ran; a blink
// record has none, and nothing else is stored.
func TestRecordsCarryTheirSpeechCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		method certkiosk.Method
		check  certkiosk.SpeechCheck
		ok     bool
	}{
		{certkiosk.MethodDigits, certkiosk.SpeechLips, true},
		{certkiosk.MethodDigits, certkiosk.SpeechLipsVoice, true},
		{certkiosk.MethodDigits, "", true},
		{certkiosk.MethodDigits, "voice", false},
		{certkiosk.MethodBlink, certkiosk.SpeechLips, false},
		{certkiosk.MethodBlink, "", true},
	} {
		c := f.cert(1, certkiosk.VerdictPass)
		c.Method, c.SpeechCheck = tc.method, tc.check
		if tc.method == certkiosk.MethodDigits {
			c.Challenge = "4821"
		}
		if err := f.s.SaveCertification(ctx, "t", c, nil); (err == nil) != tc.ok {
			t.Errorf("%s with %q: %v, want ok=%v", tc.method, tc.check, err, tc.ok)
			continue
		}
		if tc.ok {
			got, err := f.s.Certification(ctx, c.ID)
			if err != nil || got.SpeechCheck != tc.check {
				t.Errorf("stored speech check %q (%v), want %q", got.SpeechCheck, err, tc.check)
			}
		}
	}
	// The column refuses what the code would never write.
	if _, err := f.s.db.ExecContext(ctx, `UPDATE certification SET speech_check = 'voice'`); err == nil {
		t.Error("the database took speech_check 'voice'")
	}
}

// F4, F13: demo mode and load tests refuse a directory with real data.
func TestDemoAndLoadTestRefuseRealData(t *testing.T) {
	f := newFixture(t) // real staff and a roster
	ctx := context.Background()
	if err := SeedDemo(ctx, f.s); !errors.Is(err, ErrRealData) {
		t.Fatalf("demo on real data: %v", err)
	}
	if err := f.s.MarkLoadTest(ctx, "t"); !errors.Is(err, ErrNotLoadTest) {
		t.Fatalf("load test on real data: %v", err)
	}
	if ok, _ := f.s.IsLoadTest(ctx); ok {
		t.Fatal("real data marked for load tests")
	}
	fresh, _ := openTemp(t)
	fresh.KDF = fastKDF
	if err := SeedDemo(ctx, fresh); err != nil {
		t.Fatalf("demo on a new directory: %v", err)
	}
	if err := SeedDemo(ctx, fresh); err != nil {
		t.Fatalf("demo again on demo data: %v", err)
	}
	if err := fresh.MarkLoadTest(ctx, "t"); !errors.Is(err, ErrNotLoadTest) {
		t.Fatalf("load test on demo data: %v", err)
	}
}

// F12: a 15-digit number in a roster is refused with its 18-digit form
// masked, like every other ID.
func TestLegacyIDInRosterIsMasked(t *testing.T) {
	csv := rosterHeader + "110105491231002,王秀英,女,1949-12-31,,,,\n"
	_, _, err := ParseRoster([]byte(csv), "utf8")
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Lines) != 1 {
		t.Fatalf("roster with a 15-digit number: %v", err)
	}
	for _, s := range []string{translation.Msg(translation.Chinese, ie.Lines[0].Reason), err.Error(), translation.Error(translation.Chinese, err)} {
		if strings.Contains(s, "11010519491231002X") || strings.Contains(s, "110105491231002") {
			t.Fatalf("message shows the full number: %q", s)
		}
	}
	if !strings.Contains(translation.Msg(translation.Chinese, ie.Lines[0].Reason), certkiosk.Mask("11010519491231002X")) {
		t.Fatalf("reason %q lacks the masked 18-digit hint", translation.Msg(translation.Chinese, ie.Lines[0].Reason))
	}
}
