package store

import (
	"runtime"
	"testing"
)

// A sign-in's argon2id work area (64 MiB) must not stay with the process:
// the kiosk's memory budget at the sign-in screen is 200 MB (issue 16).
func TestPINWorkAreaHandedBack(t *testing.T) {
	h, err := hashPIN("246810", DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := checkPIN("246810", h); err != nil || !ok {
		t.Fatalf("checkPIN = %v, %v; want true", ok, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// Free heap the runtime still holds (not yet returned to the system).
	if kept := ms.HeapIdle - ms.HeapReleased; kept > 16<<20 {
		t.Fatalf("after a sign-in the runtime keeps %d MiB of free heap, want under 16 MiB", kept>>20)
	}
}
