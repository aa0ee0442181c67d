package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/idcard"
	"certkiosk/store"
)

// cardRig is a kiosk with the in-process reader simulator behind the real
// watcher (idcard.Watch), its events applied through the serialised UI.
type cardRig struct {
	k   *Kiosk
	db  *store.DB
	ui  *serial
	sim *idcard.Simulator
}

func newCardRig(t *testing.T) *cardRig {
	t.Helper()
	return newCardRigWith(t, idcard.DecoderConfig{})
}

func newCardRigWith(t *testing.T, dec idcard.DecoderConfig) *cardRig {
	t.Helper()
	k, db := newTestKiosk(t)
	ui := serialise(k)
	sim, err := idcard.NewSimulator(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := idcard.Watch(ctx, sim.Opener(idcard.Options{}), idcard.WatchOptions{Interval: 10 * time.Millisecond,
		Reopen: 20 * time.Millisecond, Decoder: dec})
	k.WatchCards(events)
	t.Cleanup(func() { cancel(); k.cards.Wait() }) // the loop ends with the reader, before the store closes
	return &cardRig{k: k, db: db, ui: ui, sim: sim}
}

// until waits for the kiosk to reach a state the reader's events lead to
// (they arrive from the watcher's goroutine).
func (r *cardRig) until(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var done bool
		r.ui.run(func() { done = ok() })
		if done {
			return
		}
		if time.Now().After(deadline) {
			var screen, msg string
			r.ui.run(func() { screen, msg = r.k.Screen(), screenText(r.k) })
			t.Fatalf("%s: never happened; screen %s: %s", what, screen, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *cardRig) retiree(t *testing.T, i int) certkiosk.Retiree {
	t.Helper()
	ids, err := r.db.ListRetireeIDs(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	x, err := r.db.FindRetiree(context.Background(), ids[i])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// portraitPhoto is a 102x126 PNG in the card's 1024 photo bytes, which
// /bin/cat "decodes": a stand-in for the reader vendor's WLT decoder,
// driven through the same configured-command path.
func portraitPhoto(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 102, 126))
	for y := 0; y < 126; y++ {
		for x := 0; x < 102; x++ {
			img.Set(x, y, color.Gray{uint8(y * 2)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 1024 {
		t.Fatalf("test portrait is %d bytes, more than a card holds", b.Len())
	}
	return append(b.Bytes(), make([]byte, 1024-b.Len())...)
}

// The card on the reader opens the retiree's card with no typing; the
// check and the receipt follow as from a typed search; the card's decoded
// photo becomes the reference photo; every read is audited with the
// number masked; and the device screen tells the reader's state.
func TestCardOnTheReaderOpensTheRetiree(t *testing.T) {
	r := newCardRigWith(t, idcard.DecoderConfig{Path: "/bin/cat"})
	x := r.retiree(t, 0)
	r.ui.run(func() { r.k.Login(store.DemoStaffID, store.DemoStaffPIN) })
	r.until(t, "reader ready", func() bool { return r.k.ReaderState() == "已连接，请把身份证平放在阅读器上" })

	card := idcard.DemoCard(x)
	card.Photo = portraitPhoto(t)
	if err := r.sim.Place(card); err != nil {
		t.Fatal(err)
	}
	r.until(t, "card screen", func() bool { return r.k.Screen() == "retiree" })
	var text string
	r.ui.run(func() { text = screenText(r.k) })
	if !strings.Contains(text, x.Name) || !strings.Contains(text, "已读取身份证") || strings.Contains(text, string(x.ID)) {
		t.Fatalf("card screen after the reader: %s", text)
	}
	p, ok, err := r.db.ReferencePhoto(context.Background(), "test", x.ID)
	if err != nil || !ok || p.Source != store.RefCard {
		t.Fatalf("card photo as reference: ok %v source %q %v", ok, p.Source, err)
	}

	// The check and the receipt, as from a typed search.
	r.ui.run(func() {
		r.k.opt.Checker = station{updates: []check.Update{{Done: true, Result: passResult()}}}
		r.k.StartCertification(certkiosk.MethodBlink)
	})
	r.k.follows.Wait()
	r.until(t, "staff asked about the card's photo", func() bool { return r.k.Screen() == "reference-ask" })
	var receipt string
	r.ui.run(func() {
		r.k.opt.ReceiptDir = t.TempDir()
		if !r.k.Press("reference.yes") || r.k.Screen() != "pass" {
			t.Fatalf("staff said the card's photo matches: %s", r.k.Screen())
		}
		r.k.Press("result.print")
		receipt = r.k.lastReceiptPDF
	})
	if st, err := os.Stat(receipt); err != nil || st.Size() == 0 {
		t.Fatalf("receipt after the card's check: %q %v", receipt, err)
	}
	r.ui.run(r.k.ShowHome)

	// Left on the reader, the card does not reopen the retiree; taken
	// away and placed again on the home screen, it does.
	r.sim.Remove()
	r.until(t, "card taken away", func() bool { return !r.k.cardOn })

	// Unplugged: the device screen says so; plugged back: ready again.
	r.ui.run(r.k.ShowDevice)
	r.sim.Unplug()
	r.until(t, "reader gone on the device screen", func() bool {
		return r.k.Screen() == "device" && strings.Contains(screenText(r.k), "未连接或没有应答")
	})
	r.sim.Plug()
	r.until(t, "reader back", func() bool { return strings.Contains(screenText(r.k), "已连接") })

	entries, err := r.db.AuditEntries(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, e := range entries {
		if strings.Contains(e.Subject+e.Detail, string(x.ID)) {
			t.Fatalf("audit holds the full number: %+v", e)
		}
		if e.Action == store.ActCardRead {
			reads++
		}
	}
	if reads != 1 {
		t.Fatalf("%d card reads audited, want 1", reads)
	}
}

// A card the kiosk cannot take says why, in words staff can act on, and
// the typed search stays.
func TestCardMessages(t *testing.T) {
	r := newCardRig(t)
	x := r.retiree(t, 1)
	r.until(t, "reader ready", func() bool { return r.k.reader == readerReady })

	place := func(c *idcard.Card) {
		t.Helper()
		if err := r.sim.Place(c); err != nil {
			t.Fatal(err)
		}
	}
	take := func() {
		t.Helper()
		r.sim.Remove()
		r.until(t, "card taken away", func() bool { return !r.k.cardOn })
	}

	// Signed out: sign in first.
	place(idcard.DemoCard(x))
	r.until(t, "sign in first", func() bool { return r.k.LoginMessage() == "请先登录，再放身份证" })
	take()
	r.ui.run(func() { r.k.Login(store.DemoStaffID, store.DemoStaffPIN) })

	// Expired.
	expired := idcard.DemoCard(x)
	expired.LongTerm, expired.ValidTo = false, certkiosk.DateOf(testNow).AddMonths(-1)
	place(expired)
	r.until(t, "expired card", func() bool {
		return r.k.Screen() == "home" && strings.Contains(r.k.SearchMessage(), "已过期") &&
			strings.Contains(r.k.SearchMessage(), expired.ValidTo.String())
	})
	take()

	// Not on the roster.
	stranger := idcard.DemoCard(x)
	id, err := certkiosk.CompleteResidentID("11010519491231002")
	if err != nil {
		t.Fatal(err)
	}
	stranger.ID = id
	place(stranger)
	r.until(t, "not on the roster", func() bool { return r.k.SearchMessage() == "名册中没有这个身份证号" })
	take()

	// A number whose check digit is wrong: the reader refuses the card.
	bad := idcard.DemoCard(x).Text()
	bad.ID = bad.ID[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", bad.ID[17])+1)%11])
	if err := r.sim.PlaceText(bad, nil); err != nil {
		t.Fatal(err)
	}
	r.until(t, "bad check digit", func() bool {
		return r.k.Screen() == "home" && r.k.SearchMessage() != "" && r.k.SearchMessage() != "名册中没有这个身份证号"
	})
	var msg string
	r.ui.run(func() { msg = r.k.SearchMessage() })
	if !strings.Contains(msg, "身份证") {
		t.Fatalf("bad check digit: %q", msg)
	}
}
