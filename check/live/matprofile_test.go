//go:build matprofile

package live

import (
	"testing"

	"certkiosk/camera/mattest"
)

// With -tags matprofile every Mat the tests made must be closed.
func TestMain(m *testing.M) { mattest.Main(m) }
