package ui

import (
	"bytes"
	"certkiosk"
	"fmt"
	"image"
	"image/jpeg"
	"log"

	"certkiosk/idcard"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The identity-card reader at the counter: staff put the retiree's card on
// it instead of typing the number. A card placed while staff are signed in
// and no check runs opens that retiree's card; the typed search stays as
// the fallback.

// Reader states, for the device screen (readerState).
const (
	readerNone  = ""      // no reader configured
	readerReady = "ready" // open and answering
	readerGone  = "gone"  // unplugged, or not answering
)

// DemoCards is demo mode's simulated reader: staff place and take away
// demo cards with buttons on the home screen (nil outside demo mode).
type DemoCards interface {
	// Cards names the demo cards, in order.
	Cards() []string
	// Place puts demo card i on the reader.
	Place(i int)
	// Remove takes the card away.
	Remove()
}

// WatchCards follows a reader's events (idcard.Watch) until the channel
// closes, handing each to the UI goroutine without waiting for it (so a
// window closing never blocks the loop). Call it once; WaitCards waits
// for the loop to end.
func (k *Kiosk) WatchCards(events <-chan idcard.Event) {
	k.reader = readerGone // until the reader says it is there
	k.cards.Add(1)
	go func() {
		defer k.cards.Done()
		for ev := range events {
			k.post(func() { k.onCard(ev) })
		}
	}()
}

// WaitCards returns once WatchCards' loop has ended (its channel closed).
func (k *Kiosk) WaitCards() { k.cards.Wait() }

// PlaceDemoCard puts demo card i on demo mode's reader (screenshots);
// false outside demo mode.
func (k *Kiosk) PlaceDemoCard(i int) bool {
	if k.opt.DemoCards == nil {
		return false
	}
	k.opt.DemoCards.Place(i)
	return true
}

// ReaderState is the reader's state as the device screen says it.
func (k *Kiosk) ReaderState() string {
	switch k.reader {
	case readerReady:
		return lang.L("reader.ready")
	case readerGone:
		return lang.L("reader.gone")
	}
	return lang.L("reader.none")
}

// onCard applies one reader event (on the UI goroutine).
func (k *Kiosk) onCard(ev idcard.Event) {
	k.cardOn = ev.Kind == idcard.CardPlaced || ev.Kind == idcard.CardRefused
	switch ev.Kind {
	case idcard.ReaderReady, idcard.CardRemoved:
		k.reader = readerReady
	case idcard.ReaderGone:
		k.reader = readerGone
	case idcard.CardRefused:
		k.reader = readerReady
		k.auditCard(nil, "refused:"+idcard.CodeOf(ev.Err))
		k.cardMessage(ErrorText(ev.Err))
	case idcard.CardPlaced:
		k.reader = readerReady
		if ev.Card != nil {
			k.cardPlaced(ev.Card)
		}
	}
	if k.screen == "device" {
		k.ShowDevice()
	}
}

// cardPlaced opens the card's retiree, or says why not.
func (k *Kiosk) cardPlaced(c *idcard.Card) {
	switch {
	case k.staff.ID == "" || k.screen == "login":
		k.auditCard(c, "signed_out")
		k.loginMsg.SetText(lang.L("reader.signin"))
		return
	case k.screen == "certify":
		return // a check runs: the card is read again when it is placed again
	case c.Expired(k.today()):
		k.auditCard(c, "expired")
		k.cardMessage(lang.L("reader.expired", map[string]any{"Date": c.ValidToText()}))
		return
	}
	r, err := k.DB.LookupRetiree(k.ctx(), k.actor(), c.ID)
	if err != nil {
		k.auditCard(c, "not_found")
		k.cardMessage(ErrorText(err))
		return
	}
	k.auditCard(c, "found")
	if c.Portrait != nil {
		if b, err := portraitJPEG(c.Portrait); err != nil {
			log.Printf("card photo of %s: %v", c.ID.Masked(), err)
		} else if err := k.DB.PutReferencePhoto(k.ctx(), k.actor(), c.ID, certkiosk.RefCard, b); err != nil {
			log.Printf("card photo of %s: %v", c.ID.Masked(), err)
		}
	}
	k.visit = &visit{retiree: r, byCard: true}
	k.ShowRetiree(r)
}

// cardMessage shows a reader message on the home screen, where the typed
// search is the way on.
func (k *Kiosk) cardMessage(msg string) {
	if k.screen == "certify" {
		return
	}
	if k.screen != "home" {
		if k.staff.ID == "" {
			k.loginMsg.SetText(msg)
			return
		}
		k.endVisit()
		k.ShowHome()
	}
	k.searchMsg.SetText(msg)
}

// auditCard records a read, with the number masked.
func (k *Kiosk) auditCard(c *idcard.Card, result string) {
	subject := ""
	detail := map[string]any{"result": result}
	if c != nil {
		subject = c.ID.Masked()
		detail["photo"] = c.PhotoState()
	}
	actor := k.actor()
	if k.staff.ID == "" {
		actor = "reader"
	}
	if err := k.DB.Audit(k.ctx(), actor, certkiosk.ActionCardRead, subject, detail); err != nil {
		log.Printf("audit card read %s: %v", subject, err)
	}
}

// portraitJPEG encodes a decoded card photo for the reference store.
func portraitJPEG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 92}); err != nil {
		return nil, fmt.Errorf("encode card photo: %w", err)
	}
	return b.Bytes(), nil
}

// readerView is the reader's line on the device screen (nil without one).
func (k *Kiosk) readerView() fyne.CanvasObject {
	if k.reader == readerNone && k.opt.DemoCards == nil {
		return nil
	}
	return container.NewHBox(NewText(lang.L("reader.title"), theme.SizeNameText, true),
		NewText(k.ReaderState(), theme.SizeNameText, false))
}

// demoReaderRow is demo mode's reader on the home screen: a button per
// demo card and one to take it away (nil outside demo mode).
func (k *Kiosk) demoReaderRow() fyne.CanvasObject {
	d := k.opt.DemoCards
	if d == nil {
		return nil
	}
	row := container.NewHBox(NewText(lang.L("reader.demo"), theme.SizeNameText, true))
	for i, name := range d.Cards() {
		row.Add(widget.NewButton(name, func() { d.Place(i) }))
	}
	row.Add(widget.NewButton(lang.L("reader.demo.remove"), d.Remove))
	return row
}
