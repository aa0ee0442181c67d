package store

import (
	"context"
	"testing"

	"certkiosk"
)

// Who may do what is decided here, below the screens: each rule refuses
// the roles below it and lets its own through.
func TestRolesBelowTheScreens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	operator := certkiosk.Staff{ID: "A001", Role: certkiosk.RoleOperator}
	supervisor := certkiosk.Staff{ID: "S001", Role: certkiosk.RoleSupervisor}
	admin := certkiosk.Staff{ID: "M001", Role: certkiosk.RoleAdmin}
	newcomer := func(id string) certkiosk.Staff {
		return certkiosk.Staff{ID: id, Name: "新人", Role: certkiosk.RoleOperator}
	}
	refused := func(what string, err error) {
		t.Helper()
		if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAUTHORIZED {
			t.Errorf("%s: %v, want refused", what, err)
		}
	}

	// Adding staff: admins only.
	refused("an operator adds staff", f.s.AddStaffBy(ctx, operator, newcomer("B001"), "135790"))
	refused("a supervisor adds staff", f.s.AddStaffBy(ctx, supervisor, newcomer("B002"), "135790"))
	if err := f.s.AddStaffBy(ctx, admin, newcomer("B003"), "135790"); err != nil {
		t.Fatalf("an admin adds staff: %v", err)
	}

	// Another's PIN: admins only; one's own: anyone.
	refused("an operator resets another's PIN", f.s.SetPINBy(ctx, certkiosk.Staff{ID: "B003", Role: certkiosk.RoleOperator}, "A001", "864200"))
	refused("a supervisor resets another's PIN", f.s.SetPINBy(ctx, supervisor, "B003", "864200"))
	if err := f.s.SetPINBy(ctx, certkiosk.Staff{ID: "B003", Role: certkiosk.RoleOperator}, "B003", "864200"); err != nil {
		t.Fatalf("own PIN: %v", err)
	}
	if err := f.s.SetPINBy(ctx, admin, "B003", "975310"); err != nil {
		t.Fatalf("an admin resets a PIN: %v", err)
	}
	if _, err := f.s.Login(ctx, "B003", "975310"); err != nil {
		t.Fatalf("the admin's new PIN does not sign in: %v", err)
	}

	// Liveness and device settings: supervisors and admins.
	refused("an operator changes settings", f.s.SetIntSettings(ctx, operator, map[Key]int{SetBlinks: 3}))
	for _, by := range []certkiosk.Staff{supervisor, admin} {
		if err := f.s.SetIntSettings(ctx, by, map[Key]int{SetBlinks: 3}); err != nil {
			t.Fatalf("%s changes settings: %v", by.Role, err)
		}
	}
}
