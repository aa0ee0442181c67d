// Package fuzzseed writes fuzz seed corpora in the format `go test` reads
// from testdata/fuzz/FuzzName/, so the seeds that fuzz targets start from
// are checked in and run by every `go test`. Tests only.
package fuzzseed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Env, when set to 1, makes Write (re)write the seed files: make fuzz-seeds.
const Env = "CERTKIOSK_WRITE_FUZZ_SEEDS"

// Write stores each seed (the fuzz target's arguments: []byte, string,
// bool, int64) as testdata/fuzz/<target>/seed-<hash> when Env is set;
// otherwise it checks that at least as many seed files are checked in
// (some seeds, encrypted ones, differ from run to run), so a new seed is
// never forgotten.
func Write(t *testing.T, target string, seeds ...[]any) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if os.Getenv(Env) != "1" {
		have, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
		if len(have) < len(seeds) {
			t.Errorf("%s has %d seed files checked in, %d seeds: run make fuzz-seeds", dir, len(have), len(seeds))
		}
		return
	}
	for _, args := range seeds {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
			case string:
				fmt.Fprintf(&b, "string(%s)\n", strconv.Quote(v))
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			case int64:
				fmt.Fprintf(&b, "int64(%d)\n", v)
			default:
				t.Fatalf("fuzzseed: unsupported seed type %T", a)
			}
		}
		sum := sha256.Sum256([]byte(b.String()))
		path := filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8]))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
