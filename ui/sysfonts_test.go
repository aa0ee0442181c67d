package ui

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// Fyne writes its index of the system's fonts to the user's cache when it
// scans them: the kiosk must never scan, even for a character its fonts
// lack. The control run lets Fyne scan, to show that this machine has
// system fonts and that a scan is seen.
func TestFyneLeavesTheSystemFontsAlone(t *testing.T) {
	if mode := os.Getenv("CERTKIOSK_FONT_HELPER"); mode != "" {
		if mode == "control" {
			fyneScannedSystemFonts = false
		}
		a := test.NewApp()
		defer a.Quit()
		a.Settings().SetTheme(Theme{})
		for _, style := range []fyne.TextStyle{{}, {Bold: true}} {
			// ✓ is in neither bundled font: Fyne looks for it elsewhere.
			if s := fyne.MeasureText("认证 ✓", 24, style); s.Width <= 0 {
				t.Fatalf("measured %v", s)
			}
		}
		return
	}
	for _, c := range []struct {
		mode      string
		wantIndex bool
	}{{"kiosk", false}, {"control", true}} {
		cache := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestFyneLeavesTheSystemFontsAlone$", "-test.count=1")
		cmd.Env = append(os.Environ(), "CERTKIOSK_FONT_HELPER="+c.mode, "XDG_CACHE_HOME="+cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s run: %v\n%s", c.mode, err, out)
		}
		index, err := filepath.Glob(filepath.Join(cache, "font_index_v*.cache"))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(index) > 0; got != c.wantIndex {
			t.Errorf("%s run: Fyne indexed the system fonts = %v, want %v (the control needs fonts-noto-cjk, which scripts/deps.sh installs)", c.mode, got, c.wantIndex)
		}
	}
}
