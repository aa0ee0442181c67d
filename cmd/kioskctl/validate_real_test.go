package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certkiosk/liveness/fixture"
)

// `kioskctl validate --real` on one clip of the real footage (the whole
// folder is held by liveness/fixture's TestRealFootage): the table names
// the clip, its truth, the blinks found and the verdict.
func TestValidateReal(t *testing.T) {
	dir, ok := fixture.FindRealFixtures(".")
	if !ok {
		t.Skip("skipped: no real fixtures (../shared/fixtures/real or $" + fixture.RealFixturesEnv + ")")
	}
	code, out, errOut := kioskctl(t, "validate", "--real", dir, "-face", "wild06")
	if code != 0 {
		t.Fatalf("validate --real: code %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"truth (blink frames)", "blinks found (frames)", "wild06.noblink.mp4", "fail no_blink", "[ok]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestValidateRealErrors(t *testing.T) {
	if code, _, _ := kioskctl(t, "validate", "--real", filepath.Join(t.TempDir(), "none")); code != 1 {
		t.Errorf("missing folder: code %d, want 1", code)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "truth.json"), []byte(`{"a.mp4": {"kind": "dance"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := kioskctl(t, "validate", "--real", dir); code != 1 || !strings.Contains(errOut, "dance") {
		t.Errorf("unknown kind: code %d, err %q", code, errOut)
	}
}
