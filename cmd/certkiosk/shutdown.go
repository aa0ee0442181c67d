package main

import (
	"context"
	"fmt"
	"io"
	"runtime/pprof"
	"time"
)

// shutdownGrace is how long the kiosk may take to stop once told to
// (SIGTERM, Ctrl-C): closing the window, the camera and the database
// takes well under a second here.
const shutdownGrace = 15 * time.Second

// watchShutdown makes sure a kiosk told to stop does stop. Once ctx ends,
// if stopped is not closed within grace, it writes every goroutine's stack
// to w (so the log says where the kiosk was stuck) and calls exit(1).
// Exiting then is no worse than the power cut the store is built for
// (store TestCrashSafety): a record is saved whole or not at all. It
// returns when stopped is closed.
//
// Seen once: in make perf, a kiosk sent SIGTERM on its first start, right
// after its demo clip was rendered, sat 20 minutes in futex waits without
// using the processor; not reproduced in 52 runs of the same and similar
// timings, so the stacks are what the next occurrence must tell.
func watchShutdown(ctx context.Context, stopped <-chan struct{}, grace time.Duration, w io.Writer, exit func(int)) {
	select {
	case <-stopped:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		fmt.Fprintf(w, "certkiosk: still stopping %v after being told to stop; every goroutine:\n", grace)
		if err := pprof.Lookup("goroutine").WriteTo(w, 2); err != nil {
			fmt.Fprintf(w, "certkiosk: goroutine stacks: %v\n", err)
		}
		exit(1)
	}
}
