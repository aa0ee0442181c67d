package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"certkiosk/assets"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/font/sfnt"
)

// 适老化 bars: body ≥ 24, headings ≥ 36, retiree text ≥ 30, prompts ≥ 48,
// tap targets ≥ 60 (Fyne units = px at scale 1).
func TestThemeSizes(t *testing.T) {
	th := Theme{}
	bars := map[fyne.ThemeSizeName]float32{
		theme.SizeNameText:        24,
		theme.SizeNameHeadingText: 36,
		SizeNameRetireeText:       30,
		SizeNamePromptText:        48,
		SizeNameTarget:            60,
		theme.SizeNameCaptionText: 18, // the smallest staff text
	}
	for name, bar := range bars {
		if got := th.Size(name); got < bar {
			t.Errorf("%s = %v, want ≥ %v", name, got, bar)
		}
	}
	// Line spacing ≥ 1.3: Fyne lays lines at text height + lineSpacing.
	if ls := th.Size(theme.SizeNameLineSpacing); (th.Size(theme.SizeNameText)+ls)/th.Size(theme.SizeNameText) < 1.3 {
		t.Errorf("line spacing %v too tight for %v px text", ls, th.Size(theme.SizeNameText))
	}
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// WCAG contrast ≥ 4.5:1 for every text colour on the background it sits on.
func TestThemeContrast(t *testing.T) {
	th := Theme{}
	c := func(n fyne.ThemeColorName) color.Color { return th.Color(n, theme.VariantDark) }
	pairs := []struct{ fg, bg fyne.ThemeColorName }{
		{theme.ColorNameForeground, theme.ColorNameBackground},
		{theme.ColorNameForeground, theme.ColorNameButton},
		{theme.ColorNameForeground, theme.ColorNameInputBackground},
		{theme.ColorNameForeground, theme.ColorNameHeaderBackground},
		{theme.ColorNamePlaceHolder, theme.ColorNameInputBackground},
		{theme.ColorNameDisabled, theme.ColorNameBackground},
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary},
		{theme.ColorNameForegroundOnError, theme.ColorNameError},
		{theme.ColorNameForegroundOnSuccess, theme.ColorNameSuccess},
		{theme.ColorNameForegroundOnWarning, theme.ColorNameWarning},
		{theme.ColorNameError, theme.ColorNameBackground},
		{theme.ColorNameSuccess, theme.ColorNameBackground},
		{theme.ColorNamePrimary, theme.ColorNameBackground},
	}
	for _, p := range pairs {
		if r := contrast(c(p.fg), c(p.bg)); r < 4.5 {
			t.Errorf("%s on %s: contrast %.2f, want ≥ 4.5", p.fg, p.bg, r)
		}
	}
}

func TestBigButtonIsATapTarget(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	for _, label := range []string{"", "确定", "开始认证，请正对摄像头"} {
		s := NewBigButton(label, nil, nil).MinSize()
		if s.Width < 60 || s.Height < 60 {
			t.Errorf("button %q min size %v, want ≥ 60×60", label, s)
		}
	}
	long := NewBigButton("开始认证，请正对摄像头", nil, nil).MinSize()
	if long.Width <= 60 {
		t.Errorf("long label squeezed into %v", long)
	}
}

func readTranslations(t *testing.T, name string) map[string]string {
	t.Helper()
	data, err := assets.Translations.ReadFile(assets.TranslationDir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func TestTranslationsMatch(t *testing.T) {
	zh, en := readTranslations(t, "zh_Hans.json"), readTranslations(t, "en.json")
	for k, v := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: missing in en.json", k)
		}
		if strings.TrimSpace(v) == "" {
			t.Errorf("%s: empty in zh_Hans.json", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: missing in zh_Hans.json", k)
		}
	}
}

// Every character the UI can show — both translations and the string
// literals of the screens — must be in the bundled subset: otherwise Fyne
// loads a whole system font for it (~20 MB of heap), or draws a box on a
// kiosk that has none.
func TestFontCoversTheUI(t *testing.T) {
	texts := map[string]string{}
	for _, file := range []string{"zh_Hans.json", "en.json"} {
		for k, v := range readTranslations(t, file) {
			texts[file+":"+k] = v
		}
	}
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range sources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					texts[fset.Position(lit.Pos()).String()] = v
				}
			}
			return true
		})
	}
	texts["fyne: a PIN entry's mask"] = "•"
	// Names: the kiosk never falls back to a system font (sysfonts.go), and
	// these name characters of 通用规范汉字表 are not in GB 2312.
	texts["names beyond GB 2312"] = "喆堃昇玥珺赟垚燚犇骉琤"
	texts["Latin beyond ASCII"] = "Señor François Straße"
	if len(texts) < 100 {
		t.Fatalf("only %d texts found", len(texts))
	}
	for _, data := range [][]byte{assets.FontRegular, assets.FontBold} {
		f, err := sfnt.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		var buf sfnt.Buffer
		for k, v := range texts {
			for _, r := range v {
				if !unicode.IsPrint(r) || unicode.IsSpace(r) {
					continue
				}
				if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
					t.Errorf("%s: %q has no glyph in the bundled font", k, r)
				}
			}
		}
	}
}

// Fyne parses a style's default font beside the theme's unless they are
// one resource: the kiosk's fonts must be Fyne's defaults (issue 26).
func TestKioskFontsAreFynesDefaults(t *testing.T) {
	for _, c := range []struct {
		style fyne.TextStyle
		def   fyne.Resource
		want  []byte
	}{
		{fyne.TextStyle{}, theme.DefaultTextFont(), assets.FontRegular},
		{fyne.TextStyle{Bold: true}, theme.DefaultTextBoldFont(), assets.FontBold},
	} {
		got := Theme{}.Font(c.style)
		if got != c.def {
			t.Errorf("style %+v: the theme's font %s is not Fyne's default %s", c.style, got.Name(), c.def.Name())
		}
		if len(c.def.Content()) != len(c.want) || &c.def.Content()[0] != &c.want[0] {
			t.Errorf("style %+v: Fyne's default font %s is not the bundled one", c.style, c.def.Name())
		}
	}
}

func TestShellSpeaksChineseByDefault(t *testing.T) {
	if err := UseLanguage(""); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	a.Settings().SetTheme(Theme{})
	s := NewShell(ShellInfo{Demo: true, RosterCount: 200, CameraDemo: true, DataDir: "/tmp/x", Version: "test"})
	w := test.NewTempWindow(t, s.Content)
	_ = w
	if got := s.CameraText(); got != "演示视频" {
		t.Fatalf("camera line %q", got)
	}
	// Issue 15: a counter without a microphone is told the check is on
	// the lips only.
	if got := NewShell(ShellInfo{Camera: "/dev/video0", NoMicrophone: true}).CameraText(); got != "已连接摄像头 /dev/video0\n未检测到麦克风，读数字仅检查口型" {
		t.Fatalf("camera line without a microphone %q", got)
	}
	if got := s.SyncText(); got != "未注册到中心，数据保存在本机" {
		t.Fatalf("sync line %q", got)
	}
	s.SetSyncStatus(7, time.Time{}, "")
	if got := s.SyncText(); got != "待上传 7 条" {
		t.Fatalf("sync line %q", got)
	}
	s.SetSyncStatus(0, time.Date(2026, 11, 27, 9, 5, 0, 0, time.Local), "")
	if got := s.SyncText(); got != "已全部上传（09:05）" {
		t.Fatalf("sync line %q", got)
	}
	text := strings.Join(canvasTexts(s.Content), "|")
	for _, want := range []string{"200 人", "摄像头画面", "名册", "版本"} {
		if !strings.Contains(text, want) {
			t.Errorf("screen lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "shell.") || strings.Contains(text, "app.") {
		t.Errorf("an untranslated key shows: %s", text)
	}

	if err := UseLanguage("en"); err != nil {
		t.Fatal(err)
	}
	defer UseLanguage("zh")
	e := NewShell(ShellInfo{RosterCount: 3})
	if got := e.CameraText(); got != "No camera found" {
		t.Fatalf("English camera line %q", got)
	}
	if got := NewShell(ShellInfo{Camera: "/dev/video0", NoMicrophone: true}).CameraText(); !strings.Contains(got, "No microphone found") {
		t.Fatalf("English camera line without a microphone %q", got)
	}
	if err := UseLanguage("fr"); err == nil {
		t.Fatal("an unknown language was accepted")
	}
}

// canvasTexts collects the text of every label, button and canvas.Text.
func canvasTexts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if !o.Visible() {
			return
		}
		switch w := o.(type) {
		case *container.Scroll:
			walk(w.Content)
		case *widget.Label:
			out = append(out, w.Text)
		case *BigButton:
			out = append(out, w.Text)
		case *widget.Form:
			for _, it := range w.Items {
				out = append(out, it.Text)
				walk(it.Widget)
			}
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
		if ct, ok := o.(*canvas.Text); ok {
			out = append(out, ct.Text)
		}
	}
	walk(o)
	return out
}

func TestPreviewNewestFrameWins(t *testing.T) {
	test.NewTempApp(t)
	p := NewPreview(fyne.NewSize(64, 48))
	var queued []func()
	p.do = func(f func()) { queued = append(queued, f) }

	frame := func(v uint8) *image.RGBA {
		b := p.Buffer()
		if b == nil {
			b = image.NewRGBA(image.Rect(0, 0, 8, 6))
		}
		b.Pix[0] = v
		return b
	}
	for v := uint8(1); v <= 5; v++ {
		p.Offer(frame(v))
	}
	if len(queued) != 1 {
		t.Fatalf("%d draws queued for 5 frames, want 1 (never a growing queue)", len(queued))
	}
	queued[0]()
	queued = nil
	if got := p.Image.Image.(*image.RGBA).Pix[0]; got != 5 {
		t.Fatalf("showing frame %d, want the newest (5)", got)
	}
	if drawn, dropped := p.Stats(); drawn != 1 || dropped != 4 {
		t.Fatalf("drawn %d dropped %d, want 1 and 4", drawn, dropped)
	}
	// In steady state three buffers circulate; nothing is allocated per frame.
	seen := map[*uint8]bool{}
	for v := uint8(6); v < 106; v++ {
		f := frame(v)
		seen[&f.Pix[0]] = true
		p.Offer(f)
		for _, q := range queued {
			q()
		}
		queued = nil
	}
	if len(seen) > 3 {
		t.Fatalf("%d distinct buffers for 100 frames, want ≤ 3", len(seen))
	}
	if got := p.Image.Image.(*image.RGBA).Pix[0]; got != 105 {
		t.Fatalf("showing frame %d, want 105", got)
	}
}

// The screen draws when it can, so a draw may come while the producer
// fills a buffer, before or after a frame is dropped: in every order, no
// more than three buffers are ever made (a buffer lost to the collector is
// 1.2 MB at 640×480, made again).
func TestPreviewKeepsItsBuffersInAnyOrder(t *testing.T) {
	test.NewTempApp(t)
	p := NewPreview(fyne.NewSize(64, 48))
	var queued []func()
	p.do = func(f func()) { queued = append(queued, f) }
	drawAll := func() {
		for _, q := range queued {
			q()
		}
		queued = nil
	}
	made := 0
	// Each step is one producer frame; the bits of the step say whether
	// the screen draws before the producer takes a buffer, while it fills
	// it, and after it offers it (every combination, many times).
	for step := 0; step < 800; step++ {
		if step&1 != 0 {
			drawAll()
		}
		b := p.Buffer()
		if b == nil {
			b = image.NewRGBA(image.Rect(0, 0, 8, 6))
			made++
		}
		if step&2 != 0 {
			drawAll()
		}
		p.Offer(b)
		if step&4 != 0 && step%3 != 0 {
			drawAll()
		}
	}
	if made > 3 {
		t.Fatalf("%d buffers made for 800 frames, want ≤ 3", made)
	}
	if _, dropped := p.Stats(); dropped == 0 {
		t.Fatal("no frame was dropped: the orders that lost buffers were not tried")
	}
}
