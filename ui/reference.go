package ui

import (
	"certkiosk"
	"certkiosk/check"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// reference is the photo shown beside the live face during a visit, and
// staff's answer to 「本人与照片一致」.
type reference struct {
	photo  *canvas.Image
	source string
	tick   *widget.Check
}

// loadReference decrypts the retiree's reference photo (in memory only;
// the opening is audited) for this visit. nil when there is none.
func (k *Kiosk) loadReference(id certkiosk.ResidentID) *reference {
	p, ok, err := k.DB.ReferencePhoto(k.ctx(), k.actor(), id)
	if err != nil || !ok {
		return nil
	}
	img := decodeJPEG(p.JPEG)
	if img == nil {
		return nil
	}
	ref := &reference{photo: canvas.NewImageFromImage(img), source: p.Source}
	ref.photo.FillMode = canvas.ImageFillContain
	ref.photo.ScaleMode = canvas.ImageScaleSmooth
	ref.photo.SetMinSize(fyne.NewSize(240, 300))
	ref.tick = widget.NewCheck(lang.L("reference.match"), nil)
	return ref
}

// withReference puts the reference photo, its source and the tick beside
// the live preview.
func (r *reference) withReference(live fyne.CanvasObject) fyne.CanvasObject {
	if r == nil {
		return live
	}
	r.tick.SetChecked(false) // every attempt is judged afresh
	side := container.NewBorder(NewText(lang.L("reference.title."+r.source), theme.SizeNameText, true),
		r.tick, nil, nil, r.photo)
	return container.NewBorder(nil, nil, nil, side, live)
}

// answer is staff's answer for the record: nil when no photo was shown.
func (r *reference) answer() *bool {
	if r == nil {
		return nil
	}
	v := r.tick.Checked
	return &v
}

// askReference is shown when a check passes with a reference photo that
// staff have not ticked: the pass is final only with an answer. 「一致」
// saves the pass; 「不一致」 sends the retiree to manual review instead.
func (k *Kiosk) askReference(v *visit, save func(match bool)) {
	title := NewText(lang.L("reference.ask.title"), theme.SizeNameSubHeadingText, true)
	ask := NewParagraph(lang.L("reference.ask"), SizeNameRetireeText, false)
	yes := NewBigButton(lang.L("reference.yes"), theme.ConfirmIcon(), func() { save(true) })
	yes.Importance = widget.HighImportance
	no := NewBigButton(lang.L("reference.no"), theme.CancelIcon(), func() { save(false) })
	k.frame("reference-ask", container.NewBorder(container.NewVBox(title, ask), container.NewHBox(yes, no), nil, nil,
		v.ref.photo), yes)
	k.refAsk = [2]*BigButton{yes, no}
}

// photoMismatch is the manual-review record for a pass whose face staff
// found different from the reference photo.
func photoMismatch(r check.Result) check.Result {
	r.Verdict, r.Reason = certkiosk.VerdictManualReview, "photo_mismatch"
	return r
}

// showReviewDone tells staff the attempt went to manual review, and why.
func (k *Kiosk) showReviewDone(why string) {
	if k.opt.Speaker != nil {
		k.opt.Speaker.Say("manual_review")
	}
	done := NewBigButton(lang.L("result.home"), theme.HomeIcon(), func() { k.visit = nil; k.ShowHome() })
	k.frame("review", container.NewBorder(nil, container.NewHBox(done), nil, nil, container.NewVBox(
		NewParagraph(why, SizeNameRetireeText, false),
		NewParagraph(lang.L("result.review.done"), SizeNameRetireeText, true))), done)
}
