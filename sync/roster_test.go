package sync_test

import (
	"context"
	"testing"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

func TestRosterDownloadSnapshotThenDelta(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 1) // a certification of roster[0]: that retiree is never removed
	c := r.client(t, "")
	central, _ := store.DemoRoster(40, 77, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	entries := func(rs []certkiosk.Retiree) []ksync.RosterEntry {
		var out []ksync.RosterEntry
		for _, x := range rs {
			out = append(out, ksync.ToEntry(x))
		}
		return out
	}
	if _, _, _, err := r.store.PutRoster(ctx, entries(central)); err != nil {
		t.Fatal(err)
	}
	res, err := terminal.PullRoster(ctx, r.kiosk, c, "sync")
	if err != nil || !res.Full || res.Version != 1 || res.Upserted != 40 {
		t.Fatalf("first pull: %+v %v", res, err)
	}
	// The snapshot replaced the demo roster, except the retiree with a record.
	if n, _ := r.kiosk.CountRetirees(ctx); n != 41 {
		t.Fatalf("%d retirees after the snapshot, want 40 + 1 kept for its certification", n)
	}
	if _, err := r.kiosk.FindRetiree(ctx, r.roster[0].ID); err != nil {
		t.Fatalf("retiree with a certification was removed: %v", err)
	}
	// A delta: one renamed, one removed, one added.
	central[3].Name = "改名"
	removed := central[5].ID
	central = append(central[:5], central[6:]...)
	extra, _ := store.DemoRoster(1, 999, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	central = append(central, extra[0])
	r.store.PutRoster(ctx, entries(central))
	res, err = terminal.PullRoster(ctx, r.kiosk, c, "sync")
	if err != nil || res.Full || res.Version != 2 || res.Upserted != 2 || res.Removed != 1 {
		t.Fatalf("delta pull: %+v %v", res, err)
	}
	if got, _ := r.kiosk.FindRetiree(ctx, central[3].ID); got.Name != "改名" {
		t.Fatalf("rename not applied: %+v", got)
	}
	if _, err := r.kiosk.FindRetiree(ctx, removed); certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
		t.Fatalf("removed retiree still there: %v", err)
	}
	v, at, _ := r.kiosk.RosterVersion(ctx)
	if v != 2 || at.IsZero() {
		t.Fatalf("roster version %d at %v", v, at)
	}
	// Nothing new: nothing changes.
	if res, err = terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil || res.Upserted+res.Removed != 0 {
		t.Fatalf("pull with nothing new: %+v %v", res, err)
	}
}

func TestRosterDownloadRefusesBadEntriesWhole(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	before, _ := r.kiosk.CountRetirees(ctx)
	// A central that keeps no roster leaves the kiosk's alone.
	if res, err := terminal.PullRoster(ctx, r.kiosk, r.client(t, ""), "sync"); err != nil || res.Upserted+res.Removed != 0 {
		t.Fatalf("pull from a central with no roster: %+v %v", res, err)
	}
	if n, _ := r.kiosk.CountRetirees(ctx); n != before || n == 0 {
		t.Fatalf("roster went from %d to %d", before, n)
	}
	good, _ := store.DemoRoster(3, 8, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	es := []ksync.RosterEntry{ksync.ToEntry(good[0]), ksync.ToEntry(good[1]), {ID: "110105194912310021", Name: "坏", Birth: "1949-12-31"}}
	r.store.PutRoster(ctx, es)
	if _, err := terminal.PullRoster(ctx, r.kiosk, r.client(t, ""), "sync"); err == nil {
		t.Fatal("a roster with an invalid ID was applied")
	}
	if n, _ := r.kiosk.CountRetirees(ctx); n != before {
		t.Fatalf("roster changed from %d to %d by a refused download", before, n)
	}
}
