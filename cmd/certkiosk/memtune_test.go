package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The kiosk shortens Fyne's cache through FYNE_CACHE, which Fyne reads in
// its cache package's init, so memtune's init must run first. Go's
// inittrace shows the order in this very binary (the test binary links
// what the kiosk links).
func TestMemtuneInitsBeforeFynesCache(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	at := map[string]int{}
	for i, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			at[f[1]] = i + 1
		}
	}
	mt, fc := at["certkiosk/internal/memtune"], at["fyne.io/fyne/v2/internal/cache"]
	if mt == 0 || fc == 0 || mt > fc {
		t.Fatalf("init order: memtune at line %d, Fyne's cache at %d (0: not seen)", mt, fc)
	}
}
