package certkiosk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wallClockReaders are the only places outside the programs' mains (cmd/)
// that may read the machine's clock directly, each with its reason. Every
// other package is given a clock: one that certkiosk.SystemClock backs in
// the programs and that tests pin. Keyed "file:function".
var wallClockReaders = map[string]string{
	"clock.go:SystemClock": "the one system clock itself",
	// Plausibility bounds, not decisions: a birth date after the
	// machine's own date is impossible whatever clock a test pins.
	"id.go:ParseResidentID":    "a birth date after the machine's date is impossible",
	"id.go:CompleteResidentID": "a birth date after the machine's date is impossible",
	// Durations and pacing on the monotonic clock: no date is read.
	"audio/audio.go:Read":          "paces a file played as a microphone",
	"audio/alsa.go:Read":           "stamps captured sound against the frames' monotonic timeline",
	"camera/camera.go:open":        "start of a file's playback timeline",
	"camera/camera.go:Read":        "position in a file's playback timeline",
	"camera/camera.go:Capture":     "plays a file at its own frame rate",
	"liveness/face/run.go:Run":     "processing time per frame (a benchmark figure)",
	"check/live/checker.go:frame":  "origin of the sound's timeline, shared with the frames",
	"check/live/mic.go:newMicFeed": "origin of the sound's timeline",
	"central/keys.go:RotateKey":    "a unique file name, not a date",
	// The card reader's serial line: deadlines for an answer, no date.
	"idcard/device.go:*": "deadlines for the reader's answers",
	"idcard/sim.go:*":    "deadlines for the simulated reader's answers",
	// TLS checks a certificate's validity against the real clock itself.
	"central/tls.go:createCert":                   "a certificate's validity, which TLS checks against the real clock",
	"central/sqlstore/migrate.go:recordMigration": "when a migration ran, for the operator",
	// The terminal stamps what it did; the central judges times on
	// arrival by its own clock.
	"sync/terminal/bundle.go:MakeBundle": "the moment a bundle file was written",
	"sync/terminal/outbox.go:SyncOnce":   "the moment of the last sync, for the device screen",
	"sync/terminal/outbox.go:Run":        "when to try again, for the device screen",
}

// Nothing decides by the machine's date behind a test's back: outside the
// programs (package main) and the places listed above, no Go file of the
// module reads time.Now, time.Since or time.Until. (TestScreensAtOtherDates
// in ui shows the same from the outside: the screens stay the same when the
// system clock is moved years away.)
func TestNoWallClockBehindTheTestsBack(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	used := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "build", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		timeName := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "time" {
				timeName = "time"
				if imp.Name != nil {
					timeName = imp.Name.Name
				}
			}
		}
		if timeName == "" || f.Name.Name == "main" {
			return nil // a program's main wires the system clock
		}
		for _, decl := range f.Decls {
			name := "package-level"
			if fn, ok := decl.(*ast.FuncDecl); ok {
				name = fn.Name.Name
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				x, ok := sel.X.(*ast.Ident)
				if !ok || x.Name != timeName {
					return true
				}
				switch sel.Sel.Name {
				case "Now", "Since", "Until":
					key := filepath.ToSlash(path) + ":" + name
					for _, k := range []string{key, filepath.ToSlash(path) + ":*"} {
						if _, ok := wallClockReaders[k]; ok {
							used[k] = true
							return true
						}
					}
					found = append(found, fset.Position(sel.Pos()).String()+" ("+key+") reads time."+sel.Sel.Name)
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Errorf("%s: take a clock (certkiosk.SystemClock in a program's main, a pinned one in tests)", f)
	}
	for key := range wallClockReaders {
		if !used[key] {
			t.Errorf("%s is allowed to read the wall clock but no longer does: remove it from wallClockReaders", key)
		}
	}
}
