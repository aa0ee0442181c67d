package memtune

import (
	"os"
	"runtime/debug"
)

// GoMemoryLimit is a soft limit on the Go runtime's own memory, and
// GoGCPercent the collector's target. The kiosk's live Go heap is 15–20 MB
// (mostly parsed fonts) and it allocates only ~10 MB/s during a check
// (frame buffers are reused), so collecting when the heap has grown by a
// quarter, not Go's default of doubling, costs a collection every second
// or two of a few milliseconds and keeps ~20 MB less resident (issue 16).
// The limit makes the runtime hand idle memory back as soon as it holds
// 32 MiB in all, rather than keep it through a check. Issue 26, 30-check
// soaks with retirees returning (CERTKIOSK_SOAK_ROSTER=8): in-check peak
// 310.1 MB with 48 MiB, 307.7 MB with 32 MiB; at the peak Go held 28 MB.
// It is soft: a larger live heap still works, with more collections. The
// heaviest the kiosk does, a sync of 10,000 records in batches of 200, ran
// at 2,077 records/s with it and 2,136 with 48 MiB (BenchmarkSyncThroughput
// with GOGC=25 and each GOMEMLIMIT, terminal and central in one process).
const (
	GoMemoryLimit = 32 << 20
	GoGCPercent   = 25
)

// SetGo applies GoMemoryLimit and GoGCPercent, unless GOMEMLIMIT or GOGC
// set them (the operator's choice wins). The kiosk calls it, and so does
// perffloor, whose floor must hold the kiosk's own settings.
func SetGo() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(GoMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GoGCPercent)
	}
}
