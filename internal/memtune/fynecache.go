package memtune

import "os"

// FyneCache is how long Fyne keeps what a screen drew once it is no longer
// drawn (renderers, text textures, images). Fyne's default is a minute:
// at a counter's pace of a check every few seconds that holds a dozen
// screens left behind, 15–20 MB (a 16-check soak peaked at 345–351 MB with
// the default and at 331 MB with 10 s). The kiosk shows one screen at a
// time and builds each anew, so what it left is never drawn again.
const FyneCache = "10s"

// Fyne reads FYNE_CACHE once, in its cache package's init. This package
// imports only the standard library, and Go initialises packages in
// import-path order as soon as their imports are (the spec, since Go
// 1.21): "certkiosk/…" comes before "fyne.io/…", so this init runs first.
// An operator's own FYNE_CACHE wins.
func init() {
	if _, set := os.LookupEnv("FYNE_CACHE"); !set {
		os.Setenv("FYNE_CACHE", FyneCache)
	}
}
