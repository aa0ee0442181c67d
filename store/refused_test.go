package store

import (
	"context"
	"testing"
	"time"

	"certkiosk"
)

// TestRefusedPassCertifiesNobody: a pass the central refuses as invalid
// (made while the BIOS date was years ahead) gives back the retiree's
// last certification from the roster's own date and the kiosk's other
// passes, and no longer bounds the kiosk's clock; a pass refused as a
// conflict (the central holds a version of it) changes neither.
func TestRefusedPassCertifiesNobody(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := certifiedBefore(t, f)
	last := func() certkiosk.Date {
		t.Helper()
		got, err := f.s.FindRetiree(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LastCert
	}
	pass := func() (string, error) {
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.ID, StaffID: "A001",
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
			Started: f.clock.Add(-20 * time.Second), Ended: f.clock, Attempt: 1}
		err := f.s.SaveCertification(ctx, "staff:A001", c, nil)
		return c.ID, err
	}
	today := certkiosk.DateOf(f.clock.In(certkiosk.China))

	// A conflict: the central holds a version of the pass, the retiree is
	// certified today, and the clock may not go back before it.
	id, err := pass()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.MarkRefused(ctx, "sync", id, "conflict: same ID, different content"); err != nil {
		t.Fatal(err)
	}
	if last() != today {
		t.Fatalf("after a conflict the last certification is %s, want today %s", last(), today)
	}
	f.clock = f.clock.Add(-time.Hour)
	if _, err := pass(); certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE {
		t.Fatalf("an hour before a pass refused as a conflict: %v, want refused (the clock went back)", err)
	}
	f.clock = f.clock.Add(time.Hour + time.Minute)

	// The BIOS date five years ahead: the pass is refused as invalid.
	right := f.clock
	f.clock = f.clock.AddDate(5, 0, 0)
	id, err = pass()
	if err != nil {
		t.Fatal(err)
	}
	if want := certkiosk.DateOf(f.clock.In(certkiosk.China)); last() != want {
		t.Fatalf("after a pass five years ahead the last certification is %s, want %s", last(), want)
	}
	f.clock = right
	if _, err := pass(); certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE {
		t.Fatalf("before the pass five years ahead is refused: %v, want refused (the clock went back)", err)
	}
	if err := f.s.MarkRefused(ctx, "sync", id, "invalid: ended_at is after the central's time"); err != nil {
		t.Fatal(err)
	}
	// Back to today's conflict-refused pass (the central holds it), not to
	// the roster's older date nor to nothing.
	if last() != today {
		t.Fatalf("after the pass five years ahead was refused the last certification is %s, want %s", last(), today)
	}
	if _, err := pass(); err != nil {
		t.Fatalf("the clock right, the pass five years ahead refused: %v", err)
	}
	// Refusing a record twice, or one not here, changes nothing more.
	if err := f.s.MarkRefused(ctx, "sync", id, "invalid: again"); err != nil || last() != today {
		t.Fatalf("refused again: %v, last certification %s", err, last())
	}
	if err := f.s.MarkRefused(ctx, "sync", "01a24ead-0000-7000-8000-000000000000", "invalid: unknown"); err != nil {
		t.Fatalf("refusing a record not here: %v", err)
	}
}

// TestRefusedPassFallsBackToTheRoster: with no other pass here, the
// retiree's last certification returns to the roster's own date.
func TestRefusedPassFallsBackToTheRoster(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := certifiedBefore(t, f)
	f.clock = f.clock.AddDate(5, 0, 0)
	c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.ID, StaffID: "A001",
		Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
		Started: f.clock.Add(-20 * time.Second), Ended: f.clock, Attempt: 1}
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.MarkRefused(ctx, "sync", c.ID, "invalid: ended_at is after the central's time"); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.FindRetiree(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastCert != r.LastCert {
		t.Fatalf("last certification %s, want the roster's %s", got.LastCert, r.LastCert)
	}
}

// certifiedBefore is a retiree of the demo roster with a last
// certification.
func certifiedBefore(t *testing.T, f *fixture) certkiosk.Retiree {
	t.Helper()
	for _, r := range f.roster {
		if !r.LastCert.IsZero() {
			return r
		}
	}
	t.Fatal("the demo roster has nobody certified before")
	return certkiosk.Retiree{}
}
