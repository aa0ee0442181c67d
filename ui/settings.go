package ui

import (
	"strconv"
	"strings"

	"certkiosk"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ShowSettings is the supervisor's screen: liveness settings, evidence
// retention, camera, and enrollment with the central service.
func (k *Kiosk) ShowSettings() {
	if !k.staff.Role.Allows(certkiosk.RoleSupervisor) {
		k.ShowHome()
		return
	}
	ctx := k.ctx()
	num := func(key certkiosk.SettingKey, def int) *widget.Entry {
		v, err := k.DB.IntSetting(ctx, key, def)
		if k.readProblem("setting "+string(key), err) {
			v = def
		}
		e := widget.NewEntry()
		e.SetText(strconv.Itoa(v))
		return e
	}
	blinks := num(certkiosk.SettingBlinks, certkiosk.DefaultBlinks)
	timeout := num(certkiosk.SettingTimeoutSecs, certkiosk.DefaultTimeoutSecs)
	retention := num(certkiosk.SettingRetentionDays, certkiosk.DefaultRetentionDays)
	cam := num(certkiosk.SettingCameraIndex, certkiosk.DefaultCameraIndex)
	msg := NewParagraph("", theme.SizeNameText, true)
	save := NewBigButton(lang.L("settings.save"), theme.DocumentSaveIcon(), func() {
		vals := map[certkiosk.SettingKey]int{}
		for key, e := range map[certkiosk.SettingKey]*widget.Entry{certkiosk.SettingBlinks: blinks, certkiosk.SettingTimeoutSecs: timeout,
			certkiosk.SettingRetentionDays: retention, certkiosk.SettingCameraIndex: cam} {
			n, err := strconv.Atoi(strings.TrimSpace(e.Text))
			if err != nil {
				msg.SetText(lang.L("settings.bad"))
				return
			}
			vals[key] = n
		}
		if err := k.DB.SetIntSettings(ctx, k.staff, vals); err != nil {
			msg.SetText(lang.L("settings.bad"))
			return
		}
		msg.SetText(lang.L("settings.saved"))
	})
	save.Importance = widget.HighImportance
	liveness := widget.NewForm(
		widget.NewFormItem(lang.L("settings.blinks"), blinks),
		widget.NewFormItem(lang.L("settings.timeout"), timeout),
		widget.NewFormItem(lang.L("settings.retention"), retention),
		widget.NewFormItem(lang.L("settings.camera.index"), cam))

	muted, err := k.DB.IntSetting(ctx, certkiosk.SettingSoundMuted, 0)
	k.readProblem("sound setting", err)
	sound := widget.NewCheck(lang.L("settings.sound.on"), func(on bool) {
		v := 1
		if on {
			v = 0
		}
		if err := k.DB.SetIntSettings(ctx, k.staff, map[certkiosk.SettingKey]int{certkiosk.SettingSoundMuted: v}); err != nil {
			msg.SetText(ErrorText(err))
			return
		}
		if k.opt.Speaker != nil {
			k.opt.Speaker.SetMuted(!on)
		}
	})
	sound.SetChecked(muted == 0)
	var cameraTest fyne.CanvasObject = layout.NewSpacer()
	if k.opt.Device != nil {
		cameraTest = NewBigButton(lang.L("settings.camera.test"), theme.VisibilityIcon(), k.ShowDevice)
	}
	central := container.NewVBox(NewText(lang.L("settings.central"), theme.SizeNameSubHeadingText, true))
	id, err := k.DB.Setting(ctx, certkiosk.SettingTerminalID, "")
	k.readProblem("terminal ID", err)
	if id != "" {
		central.Add(NewText(lang.L("settings.enrolled.now", map[string]any{"ID": id}), theme.SizeNameText, false))
	} else {
		url, token, pin := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
		url.SetPlaceHolder("https://")
		enrollMsg := NewParagraph("", theme.SizeNameText, true)
		enroll := NewBigButton(lang.L("settings.enroll"), theme.ConfirmIcon(), func() {
			if k.opt.Enroll == nil {
				enrollMsg.SetText(lang.L("settings.enroll.unavailable"))
				return
			}
			resp, err := k.opt.Enroll(ctx, k.actor(), strings.TrimSpace(url.Text), strings.TrimSpace(token.Text),
				strings.TrimSpace(pin.Text))
			if err != nil {
				enrollMsg.SetText(ErrorText(err))
				return
			}
			enrollMsg.SetText(lang.L("settings.enrolled", map[string]any{"ID": resp.TerminalID, "Name": resp.Name}))
		})
		central.Add(widget.NewForm(widget.NewFormItem(lang.L("settings.central.url"), url),
			widget.NewFormItem(lang.L("settings.central.token"), token),
			widget.NewFormItem(lang.L("settings.central.pin"), pin)))
		central.Add(enroll)
		central.Add(enrollMsg)
	}
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), k.ShowHome)
	body := container.NewVBox(NewText(lang.L("settings.liveness"), theme.SizeNameSubHeadingText, true), liveness,
		NewText(lang.L("settings.camera.note"), theme.SizeNameCaptionText, false), save, msg,
		container.NewHBox(cameraTest), NewText(lang.L("settings.sound"), theme.SizeNameSubHeadingText, true), sound, central)
	k.frame("settings", container.NewBorder(NewText(lang.L("settings.title"), theme.SizeNameSubHeadingText, true),
		container.NewHBox(back), nil, nil, container.NewVScroll(body)), nil)
	k.escTo(k.ShowHome)
}

// ShowStaffAdmin is the admin's screen: staff list, add, reset PIN.
func (k *Kiosk) ShowStaffAdmin() {
	if !k.staff.Role.Allows(certkiosk.RoleAdmin) {
		k.ShowHome()
		return
	}
	ctx := k.ctx()
	list, err := k.DB.ListStaff(ctx)
	k.readProblem("staff list", err)
	rows := container.NewVBox()
	msg := NewParagraph("", theme.SizeNameText, true)
	for _, st := range list {
		st := st
		pin := widget.NewPasswordEntry()
		pin.SetPlaceHolder(lang.L("login.pin"))
		reset := NewBigButton(lang.L("staff.reset"), theme.ViewRefreshIcon(), func() {
			if err := k.DB.SetPINBy(ctx, k.staff, st.ID, pin.Text); err != nil {
				msg.SetText(ErrorText(err))
				return
			}
			pin.SetText("")
			msg.SetText(lang.L("staff.reset.done", map[string]any{"ID": st.ID}))
		})
		line := NewText(st.ID+"  "+st.Name+"  "+lang.L("role."+string(st.Role)), theme.SizeNameText, false)
		rows.Add(container.NewBorder(nil, nil, line, reset, pin))
	}
	id, name, pin := widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	roles := []string{}
	for _, r := range certkiosk.Roles {
		roles = append(roles, lang.L("role."+string(r)))
	}
	role := widget.NewSelect(roles, nil)
	role.SetSelectedIndex(0)
	add := NewBigButton(lang.L("staff.add"), theme.ContentAddIcon(), func() {
		r := certkiosk.Roles[max(role.SelectedIndex(), 0)]
		err := k.DB.AddStaffBy(ctx, k.staff, certkiosk.Staff{ID: strings.TrimSpace(id.Text), Name: strings.TrimSpace(name.Text), Role: r}, pin.Text)
		if err != nil {
			msg.SetText(ErrorText(err))
			return
		}
		k.ShowStaffAdmin()
	})
	form := widget.NewForm(widget.NewFormItem(lang.L("staff.id"), id), widget.NewFormItem(lang.L("staff.name"), name),
		widget.NewFormItem(lang.L("staff.role"), role), widget.NewFormItem(lang.L("staff.pin"), pin))
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), k.ShowHome)
	k.frame("staff", container.NewBorder(NewText(lang.L("staff.title"), theme.SizeNameSubHeadingText, true),
		container.NewHBox(back), nil, nil, container.NewVScroll(container.NewVBox(rows, form, add, msg))), nil)
	k.escTo(k.ShowHome)
}
