//go:build perf

package main

import "testing"

func TestPerfChecksFromEnvironment(t *testing.T) {
	if _, on, err := perfChecks(); on || err != nil {
		t.Fatalf("%s unset: on=%v err=%v, want off", perfEnv, on, err)
	}
	t.Setenv(perfEnv, "20")
	if n, on, err := perfChecks(); n != 20 || !on || err != nil {
		t.Fatalf("%s=20: %d %v %v", perfEnv, n, on, err)
	}
	for _, bad := range []string{"", "x", "-1", "1001"} {
		t.Setenv(perfEnv, bad)
		if _, on, err := perfChecks(); on || err == nil {
			t.Fatalf("%s=%q: on=%v err=%v, want an error", perfEnv, bad, on, err)
		}
	}
}

// The measuring mode signs in with the demo PIN: never on real data.
func TestMeasureRefusedOutsideDemo(t *testing.T) {
	ka := &kioskApp{cfg: config{Demo: false}}
	done := make(chan struct{})
	go func() { ka.measure(t.Context(), 1); close(done) }()
	<-done // returns at once (it would otherwise wait and use ka.kiosk, which is nil)
}
