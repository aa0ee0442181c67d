package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"certkiosk"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowRecords lists certifications, newest first, filtered by verdict and
// sync state; selecting one shows its detail with metrics. Evidence is
// never shown here: the kiosk cannot decrypt it.
func (k *Kiosk) ShowRecords() {
	var filter certkiosk.CertFilter
	var records []certkiosk.Certification
	list := widget.NewList(func() int { return len(records) },
		func() fyne.CanvasObject { return NewText("", theme.SizeNameText, false) },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(recordLine(records[i])) })
	empty := NewText(lang.L("records.empty"), theme.SizeNameText, false)
	detail := NewParagraph("", theme.SizeNameText, false)
	reload := func() {
		var err error
		records, err = k.DB.ListCertifications(k.ctx(), filter)
		k.readProblem("records", err)
		list.UnselectAll()
		list.Refresh()
		detail.SetText("")
		if len(records) == 0 {
			empty.Show()
		} else {
			empty.Hide()
		}
	}
	list.OnSelected = func(i widget.ListItemID) { detail.SetText(recordDetail(records[i])) }

	all := lang.L("records.all")
	verdicts := []string{all}
	for _, v := range certkiosk.Verdicts {
		verdicts = append(verdicts, lang.L("verdict."+string(v)))
	}
	verdictSel := widget.NewSelect(verdicts, func(s string) {
		filter.Verdict = ""
		for _, v := range certkiosk.Verdicts {
			if s == lang.L("verdict."+string(v)) {
				filter.Verdict = v
			}
		}
		reload()
	})
	states := []string{all}
	for _, st := range []certkiosk.SyncState{certkiosk.SyncPending, certkiosk.SyncSent, certkiosk.SyncAcked} {
		states = append(states, lang.L("sync."+string(st)))
	}
	stateSel := widget.NewSelect(states, func(s string) {
		filter.State = ""
		for _, st := range []certkiosk.SyncState{certkiosk.SyncPending, certkiosk.SyncSent, certkiosk.SyncAcked} {
			if s == lang.L("sync."+string(st)) {
				filter.State = st
			}
		}
		reload()
	})
	dates := []string{all, lang.L("records.date.today"), lang.L("records.date.week"), lang.L("records.date.month")}
	dateSel := widget.NewSelect(dates, func(s string) {
		today := k.today()
		start := time.Date(today.Year, today.Month, today.Day, 0, 0, 0, 0, certkiosk.China)
		filter.Since = time.Time{}
		switch s {
		case dates[1]:
			filter.Since = start
		case dates[2]:
			filter.Since = start.AddDate(0, 0, -6)
		case dates[3]:
			filter.Since = start.AddDate(0, 0, -29)
		}
		reload()
	})
	verdictSel.SetSelectedIndex(0)
	stateSel.SetSelectedIndex(0)
	dateSel.SetSelectedIndex(0)
	filters := container.NewHBox(NewText(lang.L("records.date"), theme.SizeNameText, true), dateSel,
		NewText(lang.L("records.verdict"), theme.SizeNameText, true), verdictSel,
		NewText(lang.L("records.state"), theme.SizeNameText, true), stateSel)
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), k.ShowHome)
	body := container.NewBorder(container.NewVBox(NewText(lang.L("records.title"), theme.SizeNameSubHeadingText, true), filters),
		container.NewHBox(back), nil, nil,
		container.NewGridWithColumns(2, container.NewStack(list, empty), container.NewVScroll(detail)))
	k.frame("records", body, nil)
	k.escTo(k.ShowHome)
	reload()
}

func recordLine(c certkiosk.Certification) string {
	return fmt.Sprintf("%s  %s  %s  %s", c.Ended.In(certkiosk.China).Format("01-02 15:04"), c.RetireeID.Masked(),
		lang.L("verdict."+string(c.Verdict)), lang.L("sync."+string(c.Sync)))
}

func recordDetail(c certkiosk.Certification) string {
	var pretty bytes.Buffer
	if json.Indent(&pretty, c.Metrics, "", "  ") != nil {
		pretty.Write(c.Metrics)
	}
	lines := []string{
		lang.L("card.id") + "：" + c.RetireeID.Masked(),
		lang.L("records.verdict") + "：" + lang.L("verdict."+string(c.Verdict)) + reasonSuffix(c.Reason),
		fmt.Sprintf("%s · #%d · %s", lang.L("method."+string(c.Method)), c.Attempt, c.Receipt),
		c.Started.In(certkiosk.China).Format("2006-01-02 15:04:05") + " — " + c.Ended.In(certkiosk.China).Format("15:04:05") +
			fmt.Sprintf("（%s）", c.Ended.Sub(c.Started).Round(time.Second)),
		lang.L("records.state") + "：" + lang.L("sync."+string(c.Sync)) + " · " + c.Terminal + " · " + c.StaffID,
		lang.L("records.metrics") + "：", pretty.String(),
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return "（" + r + "）"
}
