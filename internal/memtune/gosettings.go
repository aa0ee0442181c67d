package memtune

import (
	"os"
	"runtime/debug"
)

// GoMemoryLimit is a soft limit on the Go runtime's own memory, and
// GoGCPercent the collector's target. The kiosk's live Go heap is 25–35 MB
// (mostly parsed fonts) and it allocates only ~10 MB/s during a check
// (frame buffers are reused), so collecting when the heap has grown by a
// quarter, not Go's default of doubling, costs a collection every second
// or two of a few milliseconds and keeps ~20 MB less resident (issue 16).
// The limit makes the runtime hand idle memory back as soon as it holds
// 48 MiB in all, rather than keep up to 10 MB of it through a check
// (issue 26: a 16-check soak peaked at 329.7 MB with it, 333.9 MB with
// 100 MiB). It is soft: a larger live heap still works, and a
// million-line roster import took 33.3 s with it, 35.0 s with 100 MiB
// (BenchmarkImportRoster1M with GOGC=25 and each GOMEMLIMIT).
const (
	GoMemoryLimit = 48 << 20
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
