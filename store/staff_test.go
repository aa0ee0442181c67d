package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
)

func TestLoginAndLockout(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	st, err := s.Login(ctx, "A001", "246810")
	if err != nil || st.Role != certkiosk.RoleOperator || st.Name != "张工" {
		t.Fatalf("login: %+v %v", st, err)
	}
	for i := 1; i <= 4; i++ {
		_, err := s.Login(ctx, "A001", "000000")
		if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAUTHORIZED || translation.Error(translation.Chinese, err) != "工号或密码不对" {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	_, err = s.Login(ctx, "A001", "000000") // the fifth
	var le *LockedError
	if !errors.As(err, &le) || !strings.Contains(translation.Error(translation.Chinese, err), "15分钟") {
		t.Fatalf("fifth wrong PIN: %v (%q), want a 15-minute lock", err, translation.Error(translation.Chinese, err))
	}
	f.clock = f.clock.Add(10 * time.Minute)
	_, err = s.Login(ctx, "A001", "246810") // right PIN, still locked
	if !errors.As(err, &le) || !strings.Contains(translation.Error(translation.Chinese, err), "5分钟") {
		t.Fatalf("right PIN while locked: %v (%q), want refused with 5 minutes left", err, translation.Error(translation.Chinese, err))
	}
	f.clock = f.clock.Add(5*time.Minute + time.Second)
	if _, err := s.Login(ctx, "A001", "246810"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// The count restarted: four wrong PINs do not lock.
	for i := 0; i < 4; i++ {
		s.Login(ctx, "A001", "999999")
	}
	if _, err := s.Login(ctx, "A001", "246810"); err != nil {
		t.Fatalf("after four wrong PINs: %v", err)
	}
	// Unknown IDs look like wrong PINs.
	_, err = s.Login(ctx, "Z999", "246810")
	if translation.Error(translation.Chinese, err) != "工号或密码不对" {
		t.Fatalf("unknown ID: %v", err)
	}
	rep, _ := s.VerifyAudit(ctx)
	if !rep.OK {
		t.Fatalf("audit after logins: %+v", rep)
	}
	entries, _ := s.AuditEntries(ctx, 100)
	var locked, failed int
	for _, e := range entries {
		switch e.Action {
		case ActLocked:
			locked++
		case ActLoginFailed:
			failed++
		}
	}
	if locked != 1 || failed != 10 { // the unknown ID's try is logged too, as "unknown"
		t.Fatalf("audit has %d lock and %d failed-login entries, want 1 and 10", locked, failed)
	}
}

func TestSetPINClearsLockAndChecksStrength(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	for i := 0; i < 5; i++ {
		s.Login(ctx, "A001", "000000")
	}
	for _, weak := range []string{"", "12345", "111111"} {
		if err := s.SetPIN(ctx, "admin", "A001", weak); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
			t.Errorf("weak PIN %q: %v", weak, err)
		}
	}
	if err := s.SetPIN(ctx, "admin", "A001", "135790"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "A001", "135790"); err != nil {
		t.Fatalf("new PIN after reset: %v", err)
	}
	if _, err := s.Login(ctx, "A001", "246810"); err == nil {
		t.Fatal("old PIN still works")
	}
	if err := s.SetPIN(ctx, "admin", "nobody", "135790"); certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
		t.Fatalf("unknown staff: %v", err)
	}
}

func TestStaffAccounts(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	if err := s.AddStaff(ctx, "admin", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleAdmin}, "135790"); certkiosk.ErrorCodeOf(err) != certkiosk.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.AddStaff(ctx, "admin", certkiosk.Staff{ID: "B 1", Role: certkiosk.RoleAdmin}, "135790"); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("ID with a space: %v", err)
	}
	if err := s.AddStaff(ctx, "admin", certkiosk.Staff{ID: "B001", Role: "boss"}, "135790"); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("bad role: %v", err)
	}
	if err := s.AddStaff(ctx, "admin", certkiosk.Staff{ID: "S001", Name: "李主任", Role: certkiosk.RoleSupervisor}, "864200"); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListStaff(ctx)
	if err != nil || len(list) != 2 || list[1].ID != "S001" || list[1].Role != certkiosk.RoleSupervisor {
		t.Fatalf("list: %+v %v", list, err)
	}
	var hash string
	s.SQL().QueryRow(`SELECT pin_hash FROM staff WHERE id = 'S001'`).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, "864200") {
		t.Fatalf("stored hash %q", hash)
	}
}

func TestDefaultKDFIsTheRecommendedCost(t *testing.T) {
	h, err := hashPIN("246810", DefaultKDF)
	if err != nil || !strings.Contains(h, "m=65536,t=3,p=2") {
		t.Fatalf("default hash %q %v", h, err)
	}
	if ok, err := checkPIN("246810", h); !ok || err != nil {
		t.Fatalf("check: %v %v", ok, err)
	}
	if ok, _ := checkPIN("246811", h); ok {
		t.Fatal("wrong PIN accepted")
	}
}
