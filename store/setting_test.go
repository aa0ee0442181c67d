package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"certkiosk"
)

// Settings keep their own rules: bounds and who may change them live in
// the store, a secret never reaches the audit log, and the sync clock is
// bookkeeping, not an audited change.
func TestSettingRules(t *testing.T) {
	ctx := context.Background()
	s := newFixture(t).s
	sup := certkiosk.Staff{ID: "S01", Role: certkiosk.RoleSupervisor}
	if err := s.SetIntSettings(ctx, certkiosk.Staff{ID: "O01", Role: certkiosk.RoleOperator},
		map[Key]int{SetBlinks: 3}); certkiosk.ErrorCodeOf(err) != certkiosk.EUNAUTHORIZED {
		t.Fatalf("operator: %v", err)
	}
	for k, v := range map[Key]int{SetBlinks: 6, SetTimeoutSecs: 4, SetRetentionDays: 366, SetCameraIndex: -1, SetSoundMuted: 2} {
		lo, hi, ok := Bounds(k)
		if !ok || (v >= lo && v <= hi) {
			t.Fatalf("%s: bounds %d–%d, %v", k, lo, hi, ok)
		}
		err := s.SetIntSettings(ctx, sup, map[Key]int{SetBlinks: 3, k: v})
		if certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
			t.Errorf("%s = %d: %v, want refused", k, v, err)
		}
	}
	if n, _ := s.IntSetting(ctx, SetBlinks, DefaultBlinks); n != DefaultBlinks {
		t.Fatalf("a refused change was half applied: blinks %d", n)
	}
	if err := s.SetIntSettings(ctx, sup, map[Key]int{SetTerminalID: 1}); err == nil {
		t.Fatal("a text setting was set as a number")
	}
	if err := s.SetIntSettings(ctx, sup, map[Key]int{SetBlinks: 3, SetTimeoutSecs: 15}); err != nil {
		t.Fatal(err)
	}

	before, _ := s.AuditEntries(ctx, 1)
	if err := s.NoteSync(ctx, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Setting(ctx, SetLastSync, ""); v != "2026-11-30T08:00:00Z" {
		t.Fatalf("last sync %q", v)
	}
	after, _ := s.AuditEntries(ctx, 1)
	if after[0].Seq != before[0].Seq {
		t.Fatal("noting a sync wrote an audit entry")
	}

	if !SetTerminalKey.Secret() || SetBlinks.Secret() {
		t.Fatal("Secret is wrong")
	}
	if err := s.SetSetting(ctx, "t", SetTerminalKey, "c2VjcmV0LXNlZWQ="); err != nil {
		t.Fatal(err)
	}
	entries, _ := s.AuditEntries(ctx, 5)
	for _, e := range entries {
		if strings.Contains(e.Detail, "c2VjcmV0LXNlZWQ=") {
			t.Fatalf("the audit log holds a secret: %+v", e)
		}
	}
	if entries[0].Subject != string(SetTerminalKey) {
		t.Fatalf("the change of a secret was not audited: %+v", entries[0])
	}
}
