package ui

import (
	"time"

	"certkiosk"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowSync shows the outbox, the roster version, "sync now" and export to
// a USB stick.
func (k *Kiosk) ShowSync() {
	counts, err := k.DB.SyncCounts(k.ctx())
	k.readProblem("outbox counts", err)
	info := container.NewVBox(
		NewText(lang.L("syncscreen.counts", map[string]any{"Pending": counts.Pending, "Acked": counts.Acked,
			"Refused": counts.Refused}), theme.SizeNameText, false))
	last, err := k.DB.Setting(k.ctx(), certkiosk.SettingLastSync, "")
	k.readProblem("last sync", err)
	if t, err := time.Parse(time.RFC3339, last); err == nil {
		info.Add(NewText(lang.L("syncscreen.last", map[string]any{"Time": t.In(certkiosk.China).Format("2006-01-02 15:04")}), theme.SizeNameText, false))
	} else {
		info.Add(NewText(lang.L("syncscreen.never"), theme.SizeNameText, false))
	}
	v, at, err := k.DB.RosterVersion(k.ctx())
	k.readProblem("roster version", err)
	if v > 0 {
		info.Add(NewText(lang.L("syncscreen.roster", map[string]any{"Version": v, "Time": at.In(certkiosk.China).Format("2006-01-02 15:04")}), theme.SizeNameText, false))
	} else {
		info.Add(NewText(lang.L("syncscreen.roster.none"), theme.SizeNameText, false))
	}
	msg := NewParagraph("", theme.SizeNameText, true)
	k.syncBar, k.syncMsg = widget.NewProgressBar(), msg
	k.syncBar.TextFormatter = func() string { return "" } // the words are in msg
	k.syncBar.Hide()                                      // until a sync reports progress
	actions := container.NewVBox(k.syncBar)
	if k.opt.Sync != nil {
		now := NewBigButton(lang.L("syncscreen.now"), theme.ViewRefreshIcon(), func() {
			k.opt.Sync.SyncNow()
			msg.SetText(lang.L("syncscreen.running"))
		})
		now.Importance = widget.HighImportance
		actions.Add(now)
	} else {
		info.Add(NewParagraph(lang.L("syncscreen.notenrolled"), theme.SizeNameText, false))
	}
	path := widget.NewEntry()
	path.SetPlaceHolder(lang.L("syncscreen.export.path"))
	export := NewBigButton(lang.L("syncscreen.export"), theme.DocumentSaveIcon(), func() {
		if k.opt.Sync == nil || path.Text == "" {
			msg.SetText(ErrorText(errNoExport))
			return
		}
		n, err := k.opt.Sync.Export(k.ctx(), path.Text)
		if err != nil {
			msg.SetText(ErrorText(err))
			return
		}
		msg.SetText(lang.L("syncscreen.export.done", map[string]any{"N": n, "Path": path.Text}))
	})
	actions.Add(container.NewBorder(nil, nil, nil, export, path))
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), k.leaveSync)
	k.frame("sync", container.NewBorder(NewText(lang.L("syncscreen.title"), theme.SizeNameSubHeadingText, true),
		container.NewHBox(back), nil, nil, container.NewVBox(info, actions, msg)), nil)
	k.escTo(k.leaveSync)
}

func (k *Kiosk) leaveSync() {
	k.syncBar, k.syncMsg = nil, nil
	k.ShowHome()
}

var errNoExport = certkiosk.E(certkiosk.EINVALID, "error.ui.no_export", "export needs an enrolled terminal and a path")
