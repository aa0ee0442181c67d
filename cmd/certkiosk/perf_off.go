//go:build !perf

package main

import (
	"context"
	"fmt"
	"os"
)

// perfEnv is the measuring build's switch (perf.go, built with -tags perf
// for scripts/perf.sh). The shipped kiosk has no measuring scenario: it
// refuses to start with the switch set rather than ignore it.
const perfEnv = "CERTKIOSK_PERF_CHECKS"

func perfChecks() (int, bool, error) {
	if _, ok := os.LookupEnv(perfEnv); ok {
		return 0, false, fmt.Errorf("%s is set, but this kiosk is not a measuring build (make perf builds one with -tags perf)", perfEnv)
	}
	return 0, false, nil
}

func (ka *kioskApp) measure(context.Context, int) {}
