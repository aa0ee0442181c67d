package memtune

import (
	"os"
	"testing"
)

func TestTune(t *testing.T) {
	os.Unsetenv("GLIBC_TUNABLES")
	if err := Tune(); err != nil {
		t.Fatal(err)
	}
}
