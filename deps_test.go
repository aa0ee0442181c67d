package certkiosk_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The dependency directions the design card asks for, checked on the real
// import graph: the server links no GUI and no computer vision, the CLI no
// GUI, the engine packages never the UI, and the root nothing of ours.
func TestDependencyDirections(t *testing.T) {
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"certkiosk/cmd/centrald", []string{"fyne.io/", "gocv.io/", "certkiosk/camera", "certkiosk/liveness", "certkiosk/ui",
			"certkiosk/store", "certkiosk/sync/terminal", "certkiosk/check"}},
		{"certkiosk/cmd/kioskctl", []string{"fyne.io/", "certkiosk/ui"}},
		// The engine reports codes; the words are the translations' (it
		// does not even look them up).
		{"certkiosk/liveness", []string{"fyne.io/", "gocv.io/", "certkiosk/ui", "certkiosk/audio", "certkiosk/assets"}},
		// The translations' lookup for programs without Fyne.
		{"certkiosk/assets/translation", []string{"fyne.io/", "gocv.io/", "certkiosk/ui", "certkiosk/liveness", "certkiosk/store"}},
		// The sound's analysis is plain Go (no cgo at all); capture is audio's.
		{"certkiosk/liveness/voice", []string{"runtime/cgo", "certkiosk/audio", "certkiosk/ui", "certkiosk/liveness/face"}},
		// Capture is apart from analysis: the microphone hands samples
		// (wav's form) to whoever analyses them.
		{"certkiosk/audio", []string{"certkiosk/liveness", "fyne.io/", "gocv.io/", "certkiosk/ui"}},
		{"certkiosk/wav", []string{"certkiosk/"}},
		// The UI renders the check's state and sends it commands; the
		// camera loop and the detector are the check service's.
		// Screens and the check reach the kiosk's records through small
		// interfaces of their own (ui.Store, check.Records): no database.
		{"certkiosk/ui", []string{"gocv.io/", "certkiosk/camera", "certkiosk/liveness/face", "certkiosk/check/live",
			"certkiosk/store", "certkiosk/sync/terminal", "github.com/mattn/go-sqlite3"}},
		{"certkiosk/check", []string{"fyne.io/", "gocv.io/", "certkiosk/ui", "certkiosk/store", "github.com/mattn/go-sqlite3"}},
		{"certkiosk/check/live", []string{"fyne.io/", "certkiosk/ui"}},
		{"certkiosk/store", []string{"fyne.io/", "gocv.io/", "certkiosk/ui"}},
		// The wire links no kiosk storage and no central; the kiosk's side
		// is sync/terminal, the central's is central.
		{"certkiosk/sync", []string{"fyne.io/", "gocv.io/", "certkiosk/ui", "certkiosk/store", "certkiosk/central"}},
		{"certkiosk/sync/terminal", []string{"fyne.io/", "gocv.io/", "certkiosk/ui"}},
		{"certkiosk/camera", []string{"fyne.io/", "certkiosk/ui"}},
		// The central links no GUI, no vision and nothing of the kiosk's
		// storage or screens. Its console and its storage both depend on
		// its rules (package central); neither knows the other.
		{"certkiosk/central/...", []string{"fyne.io/", "gocv.io/", "certkiosk/store", "certkiosk/ui",
			"certkiosk/sync/terminal", "certkiosk/check", "certkiosk/camera", "certkiosk/liveness"}},
		{"certkiosk/central/console", []string{"certkiosk/central/sqlstore", "certkiosk/central/sqlitestore",
			"certkiosk/central/pgstore", "certkiosk/central/storetest"}},
		{"certkiosk/central/sqlstore", []string{"certkiosk/central/console"}},
		{"certkiosk/central/sqlitestore", []string{"certkiosk/central/console"}},
		{"certkiosk/central/pgstore", []string{"certkiosk/central/console"}},
		// The card reader's driver is plain Go: no screens, no vision, no
		// kiosk storage.
		{"certkiosk/idcard", []string{"fyne.io/", "gocv.io/", "certkiosk/ui", "certkiosk/store", "certkiosk/liveness", "certkiosk/camera"}},
		{"certkiosk", []string{"certkiosk/"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == r.pkg {
				continue
			}
			for _, f := range r.forbidden {
				if strings.HasPrefix(dep, f) || dep == strings.TrimSuffix(f, "/") && f != "certkiosk/" {
					t.Errorf("%s imports %s", r.pkg, dep)
				}
			}
		}
	}
}

// Programs live under cmd/ only: no other package is a main.
func TestProgramsLiveUnderCmd(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, path, _ := strings.Cut(line, " ")
		if name == "main" && !strings.HasPrefix(path, "certkiosk/cmd/") {
			t.Errorf("%s is a program outside cmd/", path)
		}
	}
}
