// Package ui is the kiosk's Fyne interface. Screens are built by functions
// that take a fyne.App, so tests drive them with fyne's test app and no
// window system.
package ui

import (
	"image/color"

	"certkiosk/assets"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Kiosk-specific sizes, beyond fyne's own, for 适老化 (design for older
// people, after MIIT's 2021 guideline): retiree-facing text, spoken prompts
// and the smallest tap target.
const (
	SizeNameRetireeText fyne.ThemeSizeName = "certkiosk.retireeText"
	SizeNamePromptText  fyne.ThemeSizeName = "certkiosk.promptText"
	SizeNameTarget      fyne.ThemeSizeName = "certkiosk.target"
)

// Sizes in Fyne units (= pixels at scale 1). Staff text is still large:
// counter staff are often older too, and the screen is read at arm's length.
var kioskSizes = map[fyne.ThemeSizeName]float32{
	theme.SizeNameText:           24, // body ≥ 24 px
	theme.SizeNameSubHeadingText: 30,
	theme.SizeNameHeadingText:    40, // headings ≥ 36 px
	theme.SizeNameCaptionText:    20,
	theme.SizeNameInlineIcon:     32,
	theme.SizeNamePadding:        6,
	theme.SizeNameInnerPadding:   14,
	theme.SizeNameLineSpacing:    10, // ≥ 1.3 line spacing at 24 px text
	theme.SizeNameInputBorder:    2,
	theme.SizeNameScrollBar:      20,
	SizeNameRetireeText:          34, // ≥ 30 px
	SizeNamePromptText:           60, // ≥ 48 px
	SizeNameTarget:               64, // ≥ 60×60 px
}

// Colours: a fixed light scheme with strong contrast (all text ≥ 4.5:1 on
// its background, checked by a test); a bright service hall is no place for
// a dark theme that follows the desktop.
var kioskColors = map[fyne.ThemeColorName]color.Color{
	theme.ColorNameBackground:          color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF},
	theme.ColorNameForeground:          color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF},
	theme.ColorNamePrimary:             color.NRGBA{0x0B, 0x4F, 0x8C, 0xFF},
	theme.ColorNameForegroundOnPrimary: color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF},
	theme.ColorNameButton:              color.NRGBA{0xE4, 0xEA, 0xF1, 0xFF},
	theme.ColorNameInputBackground:     color.NRGBA{0xF4, 0xF6, 0xF8, 0xFF},
	theme.ColorNameInputBorder:         color.NRGBA{0x5C, 0x66, 0x70, 0xFF},
	theme.ColorNamePlaceHolder:         color.NRGBA{0x5C, 0x5C, 0x5C, 0xFF},
	theme.ColorNameDisabled:            color.NRGBA{0x66, 0x66, 0x66, 0xFF},
	theme.ColorNameError:               color.NRGBA{0xB0, 0x00, 0x20, 0xFF},
	theme.ColorNameForegroundOnError:   color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF},
	theme.ColorNameSuccess:             color.NRGBA{0x1B, 0x6E, 0x35, 0xFF},
	theme.ColorNameForegroundOnSuccess: color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF},
	theme.ColorNameWarning:             color.NRGBA{0xFF, 0xD5, 0x4F, 0xFF},
	theme.ColorNameForegroundOnWarning: color.NRGBA{0x1A, 0x1A, 0x1A, 0xFF},
	theme.ColorNameFocus:               color.NRGBA{0xE6, 0x7E, 0x00, 0xFF},
	theme.ColorNameHeaderBackground:    color.NRGBA{0xE4, 0xEA, 0xF1, 0xFF},
	theme.ColorNameSeparator:           color.NRGBA{0xC8, 0xCE, 0xD4, 0xFF},
}

// Theme is the kiosk theme: the bundled Noto Sans SC subset for all
// text (Fyne's own font has no Chinese), large sizes and high contrast.
// Anything it does not set comes from Fyne's light theme.
type Theme struct{}

var (
	fontRegular = asFyneDefault(theme.DefaultTextFont(), "NotoSansSC-Regular.subset.otf", assets.FontRegular)
	fontBold    = asFyneDefault(theme.DefaultTextBoldFont(), "NotoSansSC-Bold.subset.otf", assets.FontBold)
)

// asFyneDefault puts a kiosk font in the place of Fyne's own default font
// def, and returns it. For each text style Fyne parses the theme's font
// and, when that is not its default font, the default too, as a fallback
// for missing characters: Noto Sans, which has no Chinese, parsed into
// ~1.5 MB of Go heap per style. As the default, the kiosk's font is parsed
// alone (issue 26); the Latin letters it gave (ñ, ç, ß …) are in the
// bundled fonts now (scripts/font-subset.sh).
func asFyneDefault(def fyne.Resource, name string, content []byte) fyne.Resource {
	r, ok := def.(*fyne.StaticResource)
	if !ok {
		return fyne.NewStaticResource(name, content)
	}
	r.StaticName, r.StaticContent = name, content
	return r
}

// Font returns the bundled Chinese font; monospace and symbols come from
// Fyne. No screen uses monospace: Fyne's monospace font has no Chinese, and
// a placeholder in it would be boxes (sysfonts.go).
func (Theme) Font(s fyne.TextStyle) fyne.Resource {
	switch {
	case s.Monospace || s.Symbol:
		return theme.DefaultTheme().Font(s)
	case s.Bold:
		return fontBold
	default:
		return fontRegular
	}
}

// Color returns the kiosk colour, ignoring the desktop's dark variant.
func (Theme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if c, ok := kioskColors[n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

// Icon returns Fyne's icons.
func (Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size returns the kiosk size.
func (Theme) Size(n fyne.ThemeSizeName) float32 {
	if s, ok := kioskSizes[n]; ok {
		return s
	}
	return theme.DefaultTheme().Size(n)
}
