package memtune

import (
	"runtime/debug"
	"testing"
)

func TestSetGoAppliesTheKiosksSettings(t *testing.T) {
	prevGC, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) })
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(1 << 40)
	SetGo()
	if got := debug.SetGCPercent(100); got != GoGCPercent {
		t.Errorf("GC percent after SetGo = %d, want %d", got, GoGCPercent)
	}
	if got := debug.SetMemoryLimit(-1); got != GoMemoryLimit {
		t.Errorf("memory limit after SetGo = %d, want %d", got, GoMemoryLimit)
	}
}

func TestSetGoLeavesTheOperatorsSettings(t *testing.T) {
	prevGC, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) })
	t.Setenv("GOGC", "80")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(80)
	debug.SetMemoryLimit(1 << 30)
	SetGo()
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("GC percent with GOGC=80 = %d, want 80", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("memory limit with GOMEMLIMIT=1GiB = %d, want %d", got, 1<<30)
	}
}
