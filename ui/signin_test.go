package ui

import (
	"testing"

	"certkiosk/store"
)

// The kiosk loads the landmark model when staff sign in, not at start
// (issue 16): OnSignIn runs once per successful sign-in, never on a
// wrong PIN.
func TestOnSignInRunsAfterASuccessfulSignIn(t *testing.T) {
	k, _ := newTestKiosk(t)
	calls := 0
	k.opt.OnSignIn = func() { calls++ }
	k.Login(store.DemoStaffID, "999999")
	if calls != 0 || k.Screen() != "login" {
		t.Fatalf("wrong PIN: OnSignIn ran %d times, screen %s", calls, k.Screen())
	}
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	if calls != 1 || k.Screen() != "home" {
		t.Fatalf("sign-in: OnSignIn ran %d times, screen %s; want once, home", calls, k.Screen())
	}
}
