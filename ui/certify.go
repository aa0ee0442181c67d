package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"strings"

	"certkiosk"
	"certkiosk/check"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// endVisit ends the retiree's visit (its count of attempts with it).
func (k *Kiosk) endVisit() {
	if k.visit == nil {
		return
	}
	k.visit = nil
	if k.opt.OnVisitEnd != nil {
		k.opt.OnVisitEnd()
	}
}

// visit is one retiree's certification at the counter: attempts so far.
type visit struct {
	retiree  certkiosk.Retiree
	attempts int
	last     certkiosk.Method
	// ref is the reference photo shown beside the live face (nil: none),
	// loaded at the visit's first check.
	ref       *reference
	refLoaded bool
	// byCard: the retiree's identity card was read on this terminal's
	// reader for this visit.
	byCard bool
}

// StartCertification begins an attempt for the retiree on the card.
func (k *Kiosk) StartCertification(method certkiosk.Method) {
	v := k.visit
	if v == nil || k.opt.Checker == nil {
		return
	}
	if v.attempts >= certkiosk.MaxAttempts {
		k.showFailure(check.Result{Reason: "attempts"}, method)
		return
	}
	v.attempts++
	v.last = method
	code, updates, cancel, err := k.opt.Checker.Start(method)
	if err != nil {
		v.attempts--
		k.showCameraProblem(err)
		return
	}
	prompt := widget.NewLabel(lang.L("certify.starting"))
	prompt.SizeName = SizeNamePromptText
	prompt.TextStyle.Bold = true
	prompt.Wrapping = fyne.TextWrapWord
	prompt.Alignment = fyne.TextAlignCenter
	countdown := NewText("", SizeNameRetireeText, true)
	task := lang.L("certify.blink", map[string]any{"N": k.blinks()})
	if method == certkiosk.MethodDigits {
		task = lang.L("certify.digits", map[string]any{"Code": spaced(code)})
	}
	now := lang.L("certify.now.blink", map[string]any{"N": k.blinks()}) // the prompt when the moment comes
	if method == certkiosk.MethodDigits {
		now = lang.L("certify.now.digits", map[string]any{"Code": spaced(code)}) // the retiree's window shows only this
	}
	taskLabel := NewText(task, SizeNameRetireeText, true)
	cancelButton := NewBigButton(lang.L("certify.cancel"), theme.CancelIcon(), func() {
		cancel()
		v.attempts--
		k.ShowRetiree(v.retiree)
	})
	var preview fyne.CanvasObject = layout.NewSpacer()
	if k.opt.Preview != nil {
		preview = k.opt.Preview.Image
	}
	if !v.refLoaded {
		v.ref, v.refLoaded = k.loadReference(v.retiree.ID), true
	}
	head := container.NewVBox(
		NewText(lang.L("certify.title", map[string]any{"Name": v.retiree.Name}), theme.SizeNameSubHeadingText, true),
		NewText(lang.L("certify.attempt", map[string]any{"N": v.attempts}), theme.SizeNameText, false))
	// The reference photo, when there is one, at the right beside the
	// live face: staff compare the two while the retiree follows the
	// prompt between them.
	side := container.NewVBox(taskLabel, prompt, countdown)
	k.frame("certify", container.NewBorder(head,
		container.NewHBox(cancelButton, v.ref.tickBox()), nil, v.ref.panel(),
		container.NewGridWithColumns(2, preview, side)), nil)
	k.Window.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape {
			cancelButton.OnTapped()
		}
	})
	k.certPrompt = prompt
	k.cancelCheck = cancel
	k.opt.Customer.SetPrompt(task)
	k.follows.Add(1)
	go func() {
		defer k.follows.Done()
		k.follow(updates, v, method, code, now, prompt, countdown)
	}()
}

// follow applies a check's updates on the UI goroutine until it ends. The
// check reports every frame; only changes reach the UI goroutine.
func (k *Kiosk) follow(updates <-chan check.Update, v *visit, method certkiosk.Method, code, task string, prompt, countdown *widget.Label) {
	var lastPrompt, lastCount string
	for u := range updates {
		u := u
		u.Prompt = promptText(u, task)
		if len(u.Voice) > 0 && k.opt.Speaker != nil {
			k.opt.Speaker.Say(u.Voice...)
		}
		count := ""
		if u.Remaining > 0 {
			count = lang.L("certify.countdown", map[string]any{"Seconds": int(u.Remaining.Seconds() + 0.999)})
		}
		final := u.Final()
		if !final && (u.Prompt == "" || u.Prompt == lastPrompt) && count == lastCount {
			continue
		}
		if u.Prompt != "" {
			lastPrompt = u.Prompt
		}
		lastCount = count
		k.do(func() {
			if k.visit != v || k.screen != "certify" {
				return // cancelled, or staff moved on
			}
			switch {
			case u.Err != nil:
				v.attempts--
				k.showCameraProblem(u.Err)
			case u.Done:
				k.finish(v, method, code, u.Result)
			default:
				if u.Prompt != "" {
					prompt.SetText(u.Prompt)
					k.opt.Customer.SetPrompt(u.Prompt)
				}
				countdown.SetText(count)
			}
		})
		if final {
			return
		}
	}
}

// promptText words a check's prompt in the interface's language from the
// translations (the check sends codes): at the challenge, task says "now"
// (the task itself is shown beside it); an issue says what to do
// (prompt.<code>). "" keeps the last prompt.
func promptText(u check.Update, task string) string {
	code := u.Issue
	switch {
	case u.Challenge:
		return task
	case code == "":
		code = u.Prompt
	}
	if code == "" {
		return ""
	}
	if t := lang.L("prompt." + code); t != "prompt."+code {
		return t
	}
	return ""
}

// CertifyPrompt is the large prompt on the certification screen.
func (k *Kiosk) CertifyPrompt() string {
	if k.certPrompt == nil {
		return ""
	}
	return k.certPrompt.Text
}

func spaced(code string) string { return strings.Join(strings.Split(code, ""), " ") }

func (k *Kiosk) blinks() int {
	n, err := k.DB.IntSetting(k.ctx(), certkiosk.SettingBlinks, certkiosk.DefaultBlinks)
	if k.readProblem("blinks setting", err) {
		n = certkiosk.DefaultBlinks
	}
	return n
}

// finish saves the attempt — pass or fail — and shows the result. With a
// reference photo on screen, check.Save takes a pass only with staff's
// answer, so one they have not ticked is asked for now.
func (k *Kiosk) finish(v *visit, method certkiosk.Method, code string, r check.Result) {
	if r.Verdict == certkiosk.VerdictPass && v.ref != nil && v.ref.answer() == nil {
		k.askReference(v, r.Best, func(match bool) {
			v.ref.tick.SetChecked(match)
			k.saveAttempt(v, method, code, r, &match)
		})
		return
	}
	k.saveAttempt(v, method, code, r, v.ref.answer())
}

func (k *Kiosk) saveAttempt(v *visit, method certkiosk.Method, code string, r check.Result, match *bool) {
	c, err := check.Save(k.ctx(), k.DB, k.actor(), check.Attempt{Retiree: v.retiree.ID, Staff: k.staff.ID,
		Method: method, Code: code, Number: v.attempts, FrameSource: k.opt.FrameSource,
		ReferenceShown: v.ref != nil, PhotoMatch: match}, r)
	if err != nil {
		// The result stays in memory: staff save it again once the
		// disk has room (or the store is back), without a new check.
		k.showSaveProblem(err, func() { k.saveAttempt(v, method, code, r, match) })
		return
	}
	if c.Verdict == certkiosk.VerdictManualReview { // staff found the face unlike the photo
		k.showReviewDone(ReasonText(c.Reason))
		return
	}
	if c.Verdict == certkiosk.VerdictPass {
		if k.opt.Speaker != nil {
			k.opt.Speaker.Say("pass", PassVoice(c))
		}
		k.opt.Customer.SetPrompt(lang.L("customer.pass"))
		k.showPass(v, c, r.Best)
		return
	}
	k.opt.Customer.SetPrompt(lang.L("customer.fail"))
	if k.opt.Speaker != nil { // and why, when the microphone check has a prompt for it
		k.opt.Speaker.Say(append([]string{"fail"}, check.ReasonVoice(r.Reason)...)...)
	}
	k.showFailure(r, method)
}

// resultTitle is the verdict in prompt-sized bold text after an icon in
// the same colour. The icon is drawn, not a glyph: ✓ and ✗ are not in the
// bundled font, and the kiosk never falls back to a system font
// (sysfonts.go), so they would be boxes.
func resultTitle(icon fyne.Resource, text string, c fyne.ThemeColorName) fyne.CanvasObject {
	size := theme.Size(SizeNamePromptText)
	img := canvas.NewImageFromResource(icon)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(size))
	t := canvas.NewText(text, theme.Color(c))
	t.TextSize = size
	t.TextStyle.Bold = true
	return container.NewHBox(img, t)
}

// showPass shows the receipt: code, signed QR, and the best frame (from
// memory; it is never decrypted later).
func (k *Kiosk) showPass(v *visit, c *certkiosk.Certification, best []byte) {
	r, err := k.DB.FindRetiree(k.ctx(), v.retiree.ID)
	if k.readProblem("retiree after a pass", err) {
		r = v.retiree // the saved record stands; the card's data from before the check
		r.LastCert = certkiosk.DateOf(c.Ended.In(certkiosk.China))
	}
	due := certkiosk.DueDate(r.LastCert)
	title := resultTitle(theme.NewSuccessThemedResource(theme.ConfirmIcon()), lang.L("result.pass"), theme.ColorNameSuccess)
	detail := NewParagraph(lang.L("result.pass.detail", map[string]any{"Name": r.Name, "Due": due.String()}), SizeNameRetireeText, false)
	sentence := PassSentence(c, due)
	if !c.Resume.IsZero() { // what the retiree asks first: when is my pension paid again
		detail = NewParagraph(sentence, SizeNameRetireeText, true)
	}
	left := container.NewVBox(title, detail)
	receipt := NewText(lang.L("result.receipt")+"  "+string(c.Receipt), SizeNameRetireeText, true)
	right := container.NewVBox()
	if key, err := k.DB.TerminalKey(k.ctx()); err == nil {
		tok := certkiosk.ReceiptToken{Receipt: c.Receipt, Terminal: c.Terminal, Retiree: c.RetireeID.Masked(),
			Date: certkiosk.DateOf(c.Ended.In(certkiosk.China)).String(), Verdict: c.Verdict}.Sign(key)
		k.lastToken = tok
		if img, err := ReceiptQR(tok, 280); err == nil {
			qr := k.ownPhoto(canvas.NewImageFromImage(img))
			qr.FillMode = canvas.ImageFillContain
			qr.ScaleMode = canvas.ImageScalePixels // made at its size: crisp modules, no rescaling
			qr.SetMinSize(fyne.NewSize(280, 280))
			right.Add(qr)
		}
	}
	if photo := decodeJPEG(best); photo != nil {
		right.Add(k.screenPhoto(photo, fyne.NewSize(200, 150)))
	}
	done := NewBigButton(lang.L("result.home"), theme.HomeIcon(), func() {
		k.endVisit()
		k.opt.Customer.SetPrompt(lang.L("customer.idle"))
		k.ShowHome()
	})
	done.Importance = widget.HighImportance
	printMsg := NewParagraph("", theme.SizeNameText, false)
	info := ReceiptInfo{Name: r.Name, MaskedID: r.ID.Masked(), Method: c.Method, Verdict: c.Verdict,
		Time: c.Ended.In(certkiosk.China).Format("2006-01-02 15:04"), Terminal: c.Terminal, Due: due.String(),
		Receipt: c.Receipt, Token: k.lastToken, Pension: sentence}
	printButton := NewBigButton(lang.L("result.print"), theme.DocumentPrintIcon(), func() { printMsg.SetText(k.printReceipt(info)) })
	back := func() { k.showPass(v, c, best) }
	contacts := NewBigButton(lang.L("result.contacts"), theme.AccountIcon(), func() { k.ShowContacts(r.ID, back) })
	relative := NewBigButton(lang.L("card.relative.button"), theme.ContentAddIcon(), func() { k.ShowRelative(r.ID, back) })
	k.passSentence = sentence
	left.Add(receipt)
	left.Add(printMsg)
	k.frame("pass", container.NewBorder(nil, container.NewHBox(done, printButton, contacts, relative), nil, nil,
		container.NewGridWithColumns(2, left, right)), done)
	k.escTo(func() { k.endVisit(); k.ShowHome() })
}

// printReceipt saves the receipt PDF and sends it to the printer; it
// returns what to tell staff.
func (k *Kiosk) printReceipt(info ReceiptInfo) string {
	pdf, err := ReceiptPDF(info)
	if err == nil && k.opt.ReceiptDir == "" {
		err = errNoReceiptDir
	}
	if err != nil {
		return lang.L("result.saved.failed", map[string]any{"Message": ErrorText(err)})
	}
	path := filepath.Join(k.opt.ReceiptDir, string(info.Receipt)+".pdf")
	if err := writeWhole(path, pdf); err != nil {
		log.Printf("receipt %s: %v", info.Receipt, err)
		return lang.L("result.saved.failed", map[string]any{"Message": ErrorText(err)})
	}
	k.lastReceiptPDF = path
	if k.opt.Print != nil {
		if err := k.opt.Print(path); err == nil {
			return lang.L("result.printed")
		}
	}
	return lang.L("result.saved", map[string]any{"Path": path})
}

// writeWhole writes a file so that it is there whole or not at all, even
// across a power cut: a temporary file beside it, synced, then renamed.
func writeWhole(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("receipt directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".receipt-*")
	if err != nil {
		return fmt.Errorf("receipt file: %w", err)
	}
	defer os.Remove(f.Name()) // gone once renamed; left only by a failure
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o600)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write receipt %s: %w", filepath.Base(path), err)
	}
	return nil
}

var errNoReceiptDir = certkiosk.E(certkiosk.EUNAVAILABLE, "error.ui.no_receipt_dir", "no receipt directory")

// LastReceiptToken is the token in the last pass screen's QR code.
func (k *Kiosk) LastReceiptToken() string { return k.lastToken }

func decodeJPEG(b []byte) image.Image {
	if len(b) == 0 {
		return nil
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	return img
}

// ReasonText is a failure reason in plain words.
func ReasonText(code string) string {
	if t := lang.L("reason." + code); t != "reason."+code {
		return t
	}
	return lang.L("reason.other")
}

// showFailure offers, within the three attempts, to try again or switch
// method; always, to send the retiree to manual review.
func (k *Kiosk) showFailure(r check.Result, method certkiosk.Method) {
	v := k.visit
	title := resultTitle(theme.NewErrorThemedResource(theme.CancelIcon()), lang.L("result.fail"), theme.ColorNameError)
	reason := NewParagraph(ReasonText(r.Reason), SizeNameRetireeText, false)
	if r.Reason == "attempts" {
		reason.SetText(lang.L("result.attempts.used"))
	}
	buttons := container.NewHBox()
	if v.attempts < certkiosk.MaxAttempts {
		retry := NewBigButton(lang.L("result.retry"), theme.ViewRefreshIcon(), func() { k.StartCertification(method) })
		retry.Importance = widget.HighImportance
		other := certkiosk.MethodDigits
		if method == certkiosk.MethodDigits {
			other = certkiosk.MethodBlink
		}
		buttons.Add(retry)
		buttons.Add(NewBigButton(lang.L("result.switch."+string(other)), theme.MediaReplayIcon(), func() { k.StartCertification(other) }))
	} else {
		reason.SetText(reason.Text + "\n" + lang.L("result.attempts.used"))
	}
	buttons.Add(NewBigButton(lang.L("result.review"), theme.AccountIcon(), k.showManualReview))
	buttons.Add(NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), func() { k.ShowRetiree(v.retiree) }))
	k.frame("fail", container.NewBorder(nil, buttons, nil, nil, container.NewVBox(title, reason,
		NewText(lang.L("certify.attempt", map[string]any{"N": v.attempts}), theme.SizeNameText, false))), nil)
}

// showManualReview asks staff why, then records a manual_review verdict.
func (k *Kiosk) showManualReview() {
	v := k.visit
	why := widget.NewMultiLineEntry()
	why.SetPlaceHolder(lang.L("result.review.reason"))
	msg := NewParagraph("", theme.SizeNameText, true)
	submit := NewBigButton(lang.L("result.review.submit"), theme.ConfirmIcon(), func() {
		text := strings.TrimSpace(why.Text)
		if text == "" {
			msg.SetText(lang.L("result.review.reason"))
			return
		}
		_, err := check.SaveReview(k.ctx(), k.DB, k.actor(), check.Attempt{Retiree: v.retiree.ID, Staff: k.staff.ID,
			Method: v.last, Number: v.attempts}, text, k.opt.Now())
		if err != nil {
			msg.SetText(lang.L("result.saved.failed", map[string]any{"Message": ErrorText(err)}))
			return
		}
		if k.opt.Speaker != nil {
			k.opt.Speaker.Say("manual_review")
		}
		done := NewBigButton(lang.L("result.home"), theme.HomeIcon(), func() { k.endVisit(); k.ShowHome() })
		k.frame("review", container.NewBorder(nil, container.NewHBox(done), nil, nil,
			NewParagraph(lang.L("result.review.done"), SizeNameRetireeText, true)), done)
	})
	submit.Importance = widget.HighImportance
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), func() { k.ShowRetiree(v.retiree) })
	k.frame("review-form", container.NewBorder(NewText(lang.L("result.review"), theme.SizeNameSubHeadingText, true),
		container.NewHBox(submit, back), nil, nil, container.NewVBox(why, msg)), why)
	k.reviewEntry = why
}

func (k *Kiosk) showCameraProblem(err error) {
	v := k.visit
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), func() { k.ShowRetiree(v.retiree) })
	k.frame("camera-problem", container.NewBorder(nil, container.NewHBox(back), nil, nil,
		NewParagraph(lang.L("certify.nocamera", map[string]any{"Message": ErrorText(err)}), SizeNameRetireeText, true)), nil)
}

// showSaveProblem says a record was not saved. With retry, the result is
// still held: 「重新保存」 tries again (after staff made room, say), and
// going back says what is given up.
func (k *Kiosk) showSaveProblem(err error, retry func()) {
	log.Printf("save: %v", err)
	v := k.visit
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), func() { k.ShowRetiree(v.retiree) })
	buttons := container.NewHBox(back)
	text := lang.L("result.saved.failed", map[string]any{"Message": ErrorText(err)})
	var focus fyne.Focusable
	if retry != nil {
		again := NewBigButton(lang.L("result.saved.retry"), theme.ViewRefreshIcon(), retry)
		again.Importance = widget.HighImportance
		buttons = container.NewHBox(again, back)
		text += "\n" + lang.L("result.saved.kept")
		focus = again
		k.saveRetry = again
	}
	k.frame("save-problem", container.NewBorder(nil, buttons, nil, nil,
		NewParagraph(text, SizeNameRetireeText, true)), focus)
}
