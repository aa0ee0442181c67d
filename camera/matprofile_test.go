//go:build matprofile

package camera

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// With -tags matprofile gocv counts every Mat alive; after all tests of the
// package none may be left.
func TestMain(m *testing.M) {
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
