package ui

import (
	"certkiosk"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// contactForm holds the widgets of the contact screens, for tests and
// keyboard users.
type contactForm struct {
	phone, address       *widget.Entry
	name, mobile         *widget.Entry
	relation             *widget.Select
	consent              *widget.Check
	msg                  *widget.Label
	confirm, save, clear *BigButton
}

// contactRows are the card's contact lines: the phone masked, the address,
// and the relative (name, relation, masked mobile) when one is recorded.
func (k *Kiosk) contactRows(r certkiosk.Retiree) []*widget.FormItem {
	big := func(s string) *widget.Label { return NewParagraph(s, SizeNameRetireeText, false) }
	phone := certkiosk.MaskPhone(r.Phone)
	if phone == "" {
		phone = lang.L("card.none")
	}
	address := r.Address
	if address == "" {
		address = lang.L("card.none")
	}
	rel := lang.L("contact.relative.none")
	if x, ok, err := k.DB.Relative(k.ctx(), r.ID); err == nil && ok {
		rel = lang.L("contact.relative.line", map[string]any{"Name": x.Name, "Relation": RelationText(x.Relation),
			"Mobile": certkiosk.MaskPhone(x.Mobile)})
	}
	checked := lang.L("contact.checked.never")
	if !r.ContactChecked.IsZero() {
		checked = r.ContactChecked.String()
	}
	return []*widget.FormItem{
		widget.NewFormItem(lang.L("card.phone"), big(phone)),
		widget.NewFormItem(lang.L("card.address"), big(address)),
		widget.NewFormItem(lang.L("card.contact.checked"), big(checked)),
		widget.NewFormItem(lang.L("card.relative"), big(rel)),
	}
}

// ShowContacts is the step after a pass where staff go through the phone
// and address with the retiree (定期检查信息): 「信息无误」 confirms them,
// 「保存更正」 stores what was typed. The registered phone is shown masked;
// a new one is typed in full and checked as a mainland mobile or landline.
// next is where to go afterwards.
func (k *Kiosk) ShowContacts(id certkiosk.ResidentID, next func()) {
	r, err := k.DB.FindRetiree(k.ctx(), id)
	if err != nil {
		k.showSaveProblem(err, nil)
		return
	}
	f := &contactForm{phone: widget.NewEntry(), address: widget.NewMultiLineEntry(),
		msg: NewParagraph("", SizeNameRetireeText, true)}
	f.phone.SetPlaceHolder(lang.L("contact.phone.hint"))
	f.address.SetText(r.Address)
	f.address.Wrapping = fyne.TextWrapWord
	current := certkiosk.MaskPhone(r.Phone)
	if current == "" {
		current = lang.L("card.none")
	}
	store := func(phone, address string) {
		ch, err := k.DB.CheckContact(k.ctx(), k.staff.ID, id, phone, address)
		if err != nil {
			f.msg.SetText(ErrorText(err))
			return
		}
		f.msg.SetText(lang.L("contact.saved." + ch.Kind))
		next()
	}
	f.confirm = NewBigButton(lang.L("contact.confirm"), theme.ConfirmIcon(), func() { store(r.Phone, r.Address) })
	f.confirm.Importance = widget.HighImportance
	f.save = NewBigButton(lang.L("contact.save"), theme.DocumentSaveIcon(), func() {
		phone := f.phone.Text
		if phone == "" {
			phone = r.Phone // only the address changed
		}
		store(phone, f.address.Text)
	})
	f.phone.OnSubmitted = func(string) { f.save.OnTapped() }
	skip := NewBigButton(lang.L("contact.later"), theme.NavigateNextIcon(), next)
	form := widget.NewForm(
		widget.NewFormItem(lang.L("card.name"), NewText(r.Name, SizeNameRetireeText, true)),
		widget.NewFormItem(lang.L("contact.phone.current"), NewText(current, SizeNameRetireeText, false)),
		widget.NewFormItem(lang.L("contact.phone.new"), f.phone),
		widget.NewFormItem(lang.L("card.address"), f.address),
	)
	k.contacts = f
	k.frame("contacts", container.NewBorder(
		container.NewVBox(NewText(lang.L("contact.title"), theme.SizeNameSubHeadingText, true),
			NewParagraph(lang.L("contact.ask"), SizeNameRetireeText, false)),
		container.NewHBox(f.confirm, f.save, skip), nil, nil, container.NewVScroll(container.NewVBox(form, f.msg))), f.confirm)
	k.escTo(next)
}

// ShowRelative records a relative's contact (亲情联系人) with the retiree's
// consent, or removes it when consent is withdrawn. It is printed on
// nothing; the central uses it for reminders.
func (k *Kiosk) ShowRelative(id certkiosk.ResidentID, next func()) {
	r, err := k.DB.FindRetiree(k.ctx(), id)
	if err != nil {
		k.showSaveProblem(err, nil)
		return
	}
	f := &contactForm{name: widget.NewEntry(), mobile: widget.NewEntry(), msg: NewParagraph("", SizeNameRetireeText, true)}
	// Shown in the interface's language, stored as the canonical Chinese
	// word (certkiosk.Relations) the central receives.
	labels := make([]string, len(certkiosk.Relations))
	for i, r := range certkiosk.Relations {
		labels[i] = RelationText(r)
	}
	f.relation = widget.NewSelect(labels, nil)
	f.relation.PlaceHolder = lang.L("relative.relation.hint")
	f.consent = widget.NewCheck(lang.L("relative.consent"), nil)
	f.mobile.SetPlaceHolder(lang.L("relative.mobile.hint"))
	had, ok, err := k.DB.Relative(k.ctx(), id)
	if err != nil {
		k.showSaveProblem(err, nil)
		return
	}
	if ok {
		f.name.SetText(had.Name)
		f.relation.SetSelected(RelationText(had.Relation))
		f.mobile.SetText(had.Mobile)
	}
	f.save = NewBigButton(lang.L("relative.save"), theme.DocumentSaveIcon(), func() {
		relation := ""
		if i := f.relation.SelectedIndex(); i >= 0 {
			relation = certkiosk.Relations[i]
		}
		_, err := k.DB.SetRelative(k.ctx(), k.staff.ID, id, certkiosk.Relative{Name: f.name.Text,
			Relation: relation, Mobile: f.mobile.Text, Consent: f.consent.Checked})
		if err != nil {
			f.msg.SetText(ErrorText(err))
			return
		}
		next()
	})
	f.save.Importance = widget.HighImportance
	buttons := container.NewHBox(f.save)
	if ok {
		f.clear = NewBigButton(lang.L("relative.remove"), theme.DeleteIcon(), func() {
			if err := k.DB.RemoveRelative(k.ctx(), k.staff.ID, id); err != nil {
				f.msg.SetText(ErrorText(err))
				return
			}
			next()
		})
		buttons.Add(f.clear)
	}
	buttons.Add(NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), next))
	form := widget.NewForm(
		widget.NewFormItem(lang.L("relative.name"), f.name),
		widget.NewFormItem(lang.L("relative.relation"), f.relation),
		widget.NewFormItem(lang.L("relative.mobile"), f.mobile),
	)
	k.contacts = f
	k.frame("relative", container.NewBorder(
		container.NewVBox(NewText(lang.L("relative.title", map[string]any{"Name": r.Name}), theme.SizeNameSubHeadingText, true),
			NewParagraph(lang.L("relative.explain"), theme.SizeNameText, false)),
		buttons, nil, nil, container.NewVScroll(container.NewVBox(form, f.consent, f.msg))), f.name)
	k.escTo(next)
}

// ShowCardContacts opens the contact check for the retiree on the card,
// coming back to the card (screenshots and keyboard users).
func (k *Kiosk) ShowCardContacts() {
	if k.visit == nil {
		return
	}
	r := k.visit.retiree
	k.ShowContacts(r.ID, func() { k.ShowRetiree(r) })
}

// RelationText is a relation (certkiosk.Relations) in the interface's
// language.
func RelationText(r string) string {
	if t := lang.L("relation." + r); t != "relation."+r {
		return t
	}
	return r
}
