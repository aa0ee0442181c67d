package ui

import (
	"fmt"
	"os"
	"sync"
	"time"

	"certkiosk"
	"certkiosk/assets"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Languages the kiosk ships; the first is the default.
var Languages = []string{"zh", "en"}

var loadTranslations sync.Once

// current is the language UseLanguage chose.
var current = "zh"

// ErrorText is an error in the interface's language: its message for
// staff from the translations (certkiosk.Msg); words it carries instead
// (errors made outside the kiosk's translations) in Chinese; otherwise the
// translation of its kind. The detail is in the log, never on screen.
func ErrorText(err error) string {
	if err == nil {
		return ""
	}
	if m, ok := certkiosk.ErrorMsgOf(err); ok {
		return MsgText(m)
	}
	if current == "zh" {
		return certkiosk.ErrorMessageOf(err)
	}
	return lang.L("error." + certkiosk.ErrorCodeOf(err))
}

// MsgText words m in the interface's language.
func MsgText(m certkiosk.Msg) string {
	return m.Text(func(key string, args map[string]any) string {
		if args == nil {
			return lang.L(key)
		}
		return lang.L(key, args)
	})
}

// UseLanguage selects the UI language ("zh", the default, or "en") and
// loads the translations. Fyne picks its language from the environment, so
// this sets LANGUAGE and LC_MESSAGES for this process; a counter PC set to
// LANG=C still gets Chinese. Call it before building any screen.
func UseLanguage(code string) error {
	var loc string
	switch code {
	case "", "zh", "zh-CN", "zh_CN":
		loc, current = "zh_CN", "zh"
	case "en":
		loc, current = "en_US", "en"
	default:
		return fmt.Errorf("unknown language %q (want zh or en)", code)
	}
	os.Unsetenv("LC_ALL") // it would hide LC_MESSAGES and LANGUAGE
	os.Setenv("LC_MESSAGES", loc+".UTF-8")
	os.Setenv("LANGUAGE", loc)
	var err error
	loadTranslations.Do(func() {
		err = lang.AddTranslationsFS(assets.Translations, assets.TranslationDir)
	})
	if err != nil {
		return fmt.Errorf("load translations: %w", err)
	}
	// Re-read the environment: adding a translation updates the localizer.
	en, _ := assets.Translations.ReadFile(assets.TranslationDir + "/en.json")
	if err := lang.AddTranslationsForLocale(en, "en"); err != nil {
		return fmt.Errorf("select language: %w", err)
	}
	return nil
}

// ShellInfo is what the start screen reports about the terminal.
type ShellInfo struct {
	Demo        bool   // demo roster and demo clip
	Version     string // build version
	DataDir     string // where the database lives
	RosterCount int    // retirees on the roster
	Camera      string // e.g. "/dev/video0"; "" with no camera
	CameraDemo  bool   // the demo clip stands in for a camera
	// NoMicrophone: a camera but no microphone, so reading digits checks
	// the lips only (issue 15); the camera line says so.
	NoMicrophone bool
	Enrolled     bool // a central service to sync to
	Pending      int  // records not yet acknowledged
}

// Shell is the device-status view: live camera preview and the terminal's
// status (roster, camera, sync, data directory, version).
type Shell struct {
	Content fyne.CanvasObject
	Preview *Preview
	info    ShellInfo
	camera  *widget.Label
	sync    *widget.Label
}

// NewShell builds the device-status view.
func NewShell(info ShellInfo) *Shell {
	s := &Shell{Preview: NewPreview(fyne.NewSize(480, 360)), info: info}

	s.camera = NewParagraph(cameraText(info), theme.SizeNameText, false)
	s.sync = NewParagraph(lang.L("shell.sync.none"), theme.SizeNameText, false)
	if info.Enrolled {
		s.sync.SetText(lang.L("shell.sync.pending", map[string]any{"Pending": info.Pending}))
	}
	status := widget.NewForm(
		widget.NewFormItem(lang.L("shell.roster"), NewText(lang.L("shell.roster.count", map[string]any{"Count": info.RosterCount}), theme.SizeNameText, false)),
		widget.NewFormItem(lang.L("shell.camera"), s.camera),
		widget.NewFormItem(lang.L("shell.sync"), s.sync),
		widget.NewFormItem(lang.L("shell.data"), NewParagraph(info.DataDir, theme.SizeNameCaptionText, false)),
		widget.NewFormItem(lang.L("shell.version"), NewText(info.Version, theme.SizeNameCaptionText, false)),
	)
	previewBox := container.NewBorder(
		NewText(lang.L("shell.preview"), theme.SizeNameSubHeadingText, true), nil, nil, nil,
		s.Preview.Image)

	s.Content = container.NewGridWithColumns(2, previewBox, container.NewVBox(status))
	return s
}

// SetCameraError shows a camera failure in plain words, or with "" the
// normal camera line again. Call it from any goroutine but the UI's own.
func (s *Shell) SetCameraError(message string) {
	text := cameraText(s.info)
	if message != "" {
		text = lang.L("shell.camera.error", map[string]any{"Message": message})
	}
	fyne.Do(func() { s.camera.SetText(text) })
}

// SetCameraPreparing says the camera source is still being prepared (the
// demo clip, rendered in the background on a first start);
// SetCameraError("") shows the normal camera line again. Call it from any
// goroutine but the UI's own.
func (s *Shell) SetCameraPreparing() {
	fyne.Do(func() { s.camera.SetText(lang.L("shell.camera.preparing")) })
}

// SetSyncStatus shows the outbox: pending count, or all uploaded at a
// time, or why uploading fails now. Call it from any goroutine but the UI's.
func (s *Shell) SetSyncStatus(pending int, done time.Time, failure string) {
	var text string
	switch {
	case failure != "":
		text = lang.L("shell.sync.error", map[string]any{"Message": failure})
	case pending == 0 && !done.IsZero():
		text = lang.L("shell.sync.done", map[string]any{"Time": done.Local().Format("15:04")})
	default:
		text = lang.L("shell.sync.pending", map[string]any{"Pending": pending})
	}
	fyne.Do(func() { s.sync.SetText(text) })
}

// SyncText returns the sync line as shown.
func (s *Shell) SyncText() string { return s.sync.Text }

// CameraText returns the camera line as shown.
func (s *Shell) CameraText() string { return s.camera.Text }

func cameraText(info ShellInfo) string {
	switch {
	case info.CameraDemo:
		return lang.L("shell.camera.demo")
	case info.Camera != "" && info.NoMicrophone:
		return lang.L("shell.camera.device", map[string]any{"Device": info.Camera}) + "\n" + lang.L("shell.mic.none")
	case info.Camera != "":
		return lang.L("shell.camera.device", map[string]any{"Device": info.Camera})
	default:
		return lang.L("shell.camera.none")
	}
}

// demoBanner is a yellow band with words: demo mode is never shown by
// colour alone.
func demoBanner() fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameWarning))
	text := canvas.NewText("  "+lang.L("demo.banner"), theme.Color(theme.ColorNameForegroundOnWarning))
	text.TextSize = theme.Size(theme.SizeNameText)
	text.TextStyle.Bold = true
	return container.NewStack(bg, container.NewPadded(text))
}
