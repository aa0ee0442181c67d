package store

import (
	"context"
	"sync/atomic"
	"testing"
)

// stopAfter is a context that is cancelled from its n-th look on: code
// that checks it (database/sql, the SQLite driver's interrupt) sees a
// stop at a point the test chooses.
type stopAfter struct {
	context.Context
	looks atomic.Int64
	n     int64
}

var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *stopAfter) Done() <-chan struct{} {
	if c.looks.Add(1) > c.n {
		return closedDone
	}
	return nil
}

func (c *stopAfter) Err() error {
	if c.looks.Load() > c.n {
		return context.Canceled
	}
	return nil
}

// A demo kiosk told to stop during its first start, at any point of the
// seed, starts whole the next time: its staff can sign in, evidence has a
// key to be encrypted to, and the roster is all there.
func TestDemoSeedStoppedAnywhereFinishesNextTime(t *testing.T) {
	ctx := context.Background()
	stops := 0
	// Every look up to the roster's, then ever sparser through its 200 rows.
	for n := int64(0); ; n += 1 + n/16 {
		s, _ := openTemp(t)
		s.KDF = fastKDF
		if err := SeedDemo(&stopAfter{Context: ctx, n: n}, s); err == nil {
			break // the seed ran to its end before the n-th look
		}
		stops++
		if err := SeedDemo(ctx, s); err != nil {
			t.Fatalf("stopped at look %d; the next start: %v", n, err)
		}
		if _, err := s.Login(ctx, DemoStaffID, DemoStaffPIN); err != nil {
			t.Errorf("stopped at look %d: the demo staff cannot sign in: %v", n, err)
		}
		if rec, err := s.Setting(ctx, SetEvidenceRecipient, ""); err != nil || rec == "" {
			t.Errorf("stopped at look %d: no evidence key (%q, %v)", n, rec, err)
		}
		if c, err := s.CountRetirees(ctx); err != nil || c != DemoRosterSize {
			t.Errorf("stopped at look %d: %d retirees (%v), want %d", n, c, err, DemoRosterSize)
		}
		if demo, err := s.IsDemo(ctx); err != nil || !demo {
			t.Errorf("stopped at look %d: not marked demo (%v)", n, err)
		}
		s.Close()
	}
	t.Logf("stopped at %d points", stops)
	if stops < 5 {
		t.Fatalf("the seed was stopped at only %d points", stops)
	}
}
