//go:build !perf

package main

import "testing"

// The shipped kiosk carries no measuring scenario and says so.
func TestShippedBuildDoesNotMeasure(t *testing.T) {
	if _, on, err := perfChecks(); on || err != nil {
		t.Fatalf("%s unset: on=%v err=%v", perfEnv, on, err)
	}
	t.Setenv(perfEnv, "20")
	if _, on, err := perfChecks(); on || err == nil {
		t.Fatalf("%s=20 in a shipped build: on=%v err=%v, want a refusal", perfEnv, on, err)
	}
}
