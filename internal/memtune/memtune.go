// Package memtune holds the kiosk's memory settings: the Go runtime's
// (SetGo), Fyne's cache (FYNE_CACHE, at init) and glibc's allocator
// (Tune), for a process that runs for days and passes large frame buffers
// between threads (camera, check, GL). By default glibc raises its mmap
// threshold each time such a buffer is freed, after which buffers of a
// frame's size come from the per-thread heaps and stay there when freed:
// the kiosk's resident memory crept up by about 1 MB per check and did not
// come down (issue 16).
package memtune

// #include <malloc.h>
// #include <stdlib.h>
import "C"

import (
	"errors"
	"os"
	"strings"
	"unsafe"
)

// mmapThreshold is glibc's initial default: allocations from 128 KiB up (a
// 640×480 frame is 900 KiB) are mapped for themselves and unmapped when
// freed. Setting it also fixes it (no dynamic raising).
const mmapThreshold = 128 << 10

// arenaMax bounds glibc's per-thread heaps (8 per core by default): the
// kiosk's C work is two or three threads at a time.
const arenaMax = 2

// Tune sets the allocator, unless GLIBC_TUNABLES already sets it (the
// operator's choice wins). Call it first thing, before the threads start.
func Tune() error {
	if strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.") {
		return nil
	}
	if C.mallopt(C.M_MMAP_THRESHOLD, mmapThreshold) != 1 {
		return errors.New("memtune: mallopt(M_MMAP_THRESHOLD) refused")
	}
	if C.mallopt(C.M_ARENA_MAX, arenaMax) != 1 {
		return errors.New("memtune: mallopt(M_ARENA_MAX) refused")
	}
	return nil
}

// Native is what glibc's allocator holds: Arena bytes in its heaps (the
// main one and the per-thread ones), InUse of them allocated, Free of them
// free but kept, and Mapped in chunks mapped for themselves.
type Native struct {
	Arena, InUse, Free, Mapped int64
}

// Stats reads glibc's allocator (mallinfo2); the measuring kiosk prints it
// beside the Go heap so that a soak shows where resident memory is.
func Stats() Native {
	mi := C.mallinfo2()
	return Native{Arena: int64(mi.arena), InUse: int64(mi.uordblks), Free: int64(mi.fordblks), Mapped: int64(mi.hblkhd)}
}

// Trim gives the free memory glibc keeps in its heaps back to the system
// (malloc_trim), as the Go runtime's FreeOSMemory does for Go's.
func Trim() { C.malloc_trim(0) }

// cAlloc and cFree let the tests allocate as C code does (cgo is not
// allowed in test files).
func cAlloc(n int) unsafe.Pointer { return C.malloc(C.size_t(n)) }
func cFree(p unsafe.Pointer)      { C.free(p) }
