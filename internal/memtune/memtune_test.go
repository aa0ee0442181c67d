package memtune

import (
	"os"
	"testing"
)

func TestTune(t *testing.T) {
	os.Unsetenv("GLIBC_TUNABLES")
	if err := Tune(); err != nil {
		t.Fatal(err)
	}
}

func TestStatsSeeAnAllocation(t *testing.T) {
	before := Stats()
	p := cAlloc(8 << 20) // mapped for itself: above the threshold
	after := Stats()
	cFree(p)
	if after.Mapped-before.Mapped < 8<<20 {
		t.Fatalf("an 8 MiB allocation: mapped %d → %d", before.Mapped, after.Mapped)
	}
}

// The package sets Fyne's cache duration before Fyne's init reads it.
func TestFyneCacheIsSetAtInit(t *testing.T) {
	if os.Getenv("FYNE_CACHE") != FyneCache {
		t.Fatalf("FYNE_CACHE=%q after init, want %q", os.Getenv("FYNE_CACHE"), FyneCache)
	}
}
