package ui

import (
	_ "unsafe" // go:linkname
)

// fyneScannedSystemFonts is Fyne's note that it has looked for the system's
// fonts (fyne.io/fyne/v2/internal/painter.loaded in Fyne v2.7.1; a Fyne
// without it fails to link). Set before Fyne looks, with no font map made,
// it keeps Fyne off them.
//
// Fyne adds to every text style a system font "for the language": on
// Debian that is DejaVu Sans for any language, Chinese too, which has no
// Chinese; each was 2.7 MB of Go heap (issue 26). A character neither
// bundled font has would also make Fyne load a whole system font (a CJK
// one is ~20 MB), and on a kiosk without one it drew a box anyway. The
// bundled fonts carry every character a screen or a name needs (GB 2312,
// the 8,105 of 通用规范汉字表, Latin-1), so the kiosk draws the same on
// every machine.
//
//go:linkname fyneScannedSystemFonts fyne.io/fyne/v2/internal/painter.loaded
var fyneScannedSystemFonts bool

func init() { fyneScannedSystemFonts = true }
