//go:build matprofile

// Package mattest fails a package's tests when a gocv.Mat was left
// unclosed. Built only with -tags matprofile, when gocv counts every Mat:
//
//	func TestMain(m *testing.M) { mattest.Main(m) }
package mattest

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// Main runs the tests, then fails if any Mat is still alive, printing
// where each was made.
func Main(m *testing.M) {
	code := m.Run()
	if n := gocv.MatProfile.Count(); n != 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d Mats were never closed\n", n)
		var b strings.Builder
		gocv.MatProfile.WriteTo(&b, 1)
		fmt.Fprint(os.Stderr, b.String())
		code = 1
	}
	os.Exit(code)
}
