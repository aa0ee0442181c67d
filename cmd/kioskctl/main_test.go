package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"certkiosk"
)

func kioskctl(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestIDCheck(t *testing.T) {
	code, out, _ := kioskctl(t, "id", "check", "11010519491231002x")
	if code != 0 || !strings.Contains(out, "110105********002X") || strings.Contains(out, "11010519491231002X") {
		t.Fatalf("valid: code %d, out %q", code, out)
	}
	code, out, errOut := kioskctl(t, "id", "check", "110105194912310021")
	if code != 1 || out != "" || !strings.Contains(errOut, "校验位") {
		t.Fatalf("bad checksum: code %d, out %q, err %q", code, out, errOut)
	}
	if strings.Contains(errOut, "110105194912310021") {
		t.Fatalf("error output leaks the number: %q", errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	if code, _, _ := kioskctl(t); code != 2 {
		t.Errorf("no command: code %d, want 2", code)
	}
	if code, _, errOut := kioskctl(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: code %d %q", code, errOut)
	}
	if code, _, _ := kioskctl(t, "id", "check"); code != 2 {
		t.Errorf("id check without number: code %d, want 2", code)
	}
	if code, _, _ := kioskctl(t, "democlip"); code != 2 {
		t.Errorf("democlip without --out: code %d, want 2", code)
	}
}

func TestDemoRosterOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for i := 0; i < 2; i++ { // the second run leaves the roster alone
		code, out, errOut := kioskctl(t, "--data", dir, "demo-roster")
		if code != 0 || !strings.Contains(out, "roster: 200 retirees") {
			t.Fatalf("run %d: code %d, out %q, err %q", i, code, out, errOut)
		}
	}
}

func TestDemoClip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "clip.avi")
	code, stdout, errOut := kioskctl(t, "democlip", "--out", out, "--seconds", "0.5")
	if code != 0 || strings.TrimSpace(stdout) != out {
		t.Fatalf("code %d, out %q, err %q", code, stdout, errOut)
	}
}

func TestVersionFlag(t *testing.T) {
	code, out, _ := kioskctl(t, "--version")
	if code != 0 || out != "kioskctl "+certkiosk.Version+"\n" {
		t.Fatalf("--version: code %d, out %q", code, out)
	}
	if code, _, errOut := kioskctl(t, "--data", t.TempDir(), "--version"); code != 0 || errOut != "" {
		t.Fatalf("--data DIR --version: code %d, stderr %q", code, errOut)
	}
}
