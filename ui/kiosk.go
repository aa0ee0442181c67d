package ui

import (
	"context"
	"fmt"
	"image/color"
	"log"
	"strings"
	"sync"
	"time"

	"certkiosk"
	"certkiosk/check"
	ksync "certkiosk/sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Options configure the kiosk UI.
type Options struct {
	Demo    bool
	Version string
	// Now is the clock (tests pin it); time.Now when nil.
	Now func() time.Time
	// Sync, when set, is the background sync the sync screen drives.
	Sync SyncControl
	// Device is the device-status view (camera preview), when there is one.
	Device func() fyne.CanvasObject
	// Checker runs liveness checks; without one the card offers no check.
	Checker check.Station
	// Preview is the live camera picture shown during a check.
	Preview *Preview
	// Speaker says the prompts (nil: silent).
	Speaker Speaker
	// ReceiptDir is where receipt PDFs are saved ("" : not saved).
	ReceiptDir string
	// Print sends a saved receipt PDF to the printer (nil: saving only).
	Print func(path string) error
	// Customer is the retiree-facing window on a second monitor, if any.
	Customer *CustomerView
	// FrameSource is where the checker's frames come from; every record
	// made here carries it. Unset, records say "file": never claim a
	// camera that was not named.
	FrameSource certkiosk.FrameSource
	// Enroll enrols this terminal with a central (the sync's enrolment on
	// the kiosk's store; nil: the settings screen cannot enrol).
	Enroll func(ctx context.Context, actor, url, token, pin string) (ksync.EnrollResponse, error)
	// DemoCards is demo mode's simulated card reader (nil: none); the
	// reader's events reach the kiosk through WatchCards.
	DemoCards DemoCards
	// OnSignIn runs on the UI goroutine after each successful sign-in
	// (the kiosk starts loading the landmark model then; nil: nothing).
	OnSignIn func()
	// OnVisitEnd runs on the UI goroutine when a retiree's visit ends
	// (the kiosk gives the memory of the visit's check and receipt back
	// to the system then; nil: nothing).
	OnVisitEnd func()
}

// SyncControl is what the UI needs of the sync worker.
type SyncControl interface {
	SyncNow()
	Export(ctx context.Context, path string) (int, error)
}

// Kiosk is the staff-facing application: one window whose content is the
// current screen. Every screen is reachable by the keyboard (Tab, Enter, Esc).
type Kiosk struct {
	App    fyne.App
	Window fyne.Window
	DB     Store
	opt    Options

	staff certkiosk.Staff // signed-in staff member; zero when signed out

	// widgets tests reach
	loginID, loginPIN *widget.Entry
	loginMsg          *widget.Label
	search            *widget.Entry
	searchMsg         *widget.Label
	syncLine          *widget.Label
	screen            string // name of the current screen, for tests and screenshots

	visit          *visit // the retiree being certified
	certPrompt     *widget.Label
	reviewEntry    *widget.Entry
	lastToken      string
	lastReceiptPDF string
	cancelCheck    func()              // stops the running check
	syncBar        *widget.ProgressBar // on the sync screen, while it shows
	syncMsg        *widget.Label
	contacts       *contactForm  // the contact or relative screen, while it shows
	refAsk         [2]*BigButton // 「一致」 and 「不一致」 when a pass waits for the photo answer
	passSentence   string        // what the pass screen said happens next
	// photos are the face photos and QR code of the screen on display, and
	// newPhotos those made for the screen being built (screenPhoto):
	// frame lets go of the former's pixels when it replaces the screen.
	photos, newPhotos []*canvas.Image

	// do runs a function on the UI goroutine and waits (fyne.DoAndWait;
	// tests serialise through their own runner).
	do func(func())
	// post hands work to the UI goroutine without waiting (fyne.Do).
	post func(func())
	// reader is the card reader's state (readerNone without one); cards
	// is its event loop (WatchCards).
	// saveRetry is the save-problem screen's 「重新保存」 (tests tap it).
	saveRetry *BigButton
	// problems are errors from below that the next screen says (readProblem).
	problems []string
	reader   string
	cardOn   bool // a card lies on the reader (placed or refused, not yet removed)
	cards    sync.WaitGroup
	// follows counts the goroutines applying a check's updates (tests
	// wait for them instead of sleeping).
	follows sync.WaitGroup
}

// NewKiosk builds the kiosk window on a and shows the sign-in screen.
func NewKiosk(a fyne.App, db Store, opt Options) *Kiosk {
	a.Settings().SetTheme(Theme{})
	if opt.Now == nil {
		opt.Now = certkiosk.SystemClock
	}
	if opt.FrameSource == "" {
		opt.FrameSource = certkiosk.FrameFile
	}
	k := &Kiosk{App: a, DB: db, opt: opt, Window: a.NewWindow(lang.L("app.title")),
		do: fyne.DoAndWait, post: fyne.Do}
	k.Window.Resize(fyne.NewSize(1280, 800))
	k.syncLine = NewText("", theme.SizeNameText, false)
	if opt.ReceiptDir != "" {
		// A receipt being written when the power went is not left half
		// there: the kiosk starts without it.
		if n, err := removeCutReceipts(opt.ReceiptDir); err != nil {
			log.Printf("receipts: %v", err)
		} else if n > 0 {
			log.Printf("receipts: removed %d cut off by a power cut", n)
		}
	}
	k.ShowLogin()
	return k
}

// Screen names the screen shown.
func (k *Kiosk) Screen() string { return k.screen }

func (k *Kiosk) actor() string { return "staff:" + k.staff.ID }

func (k *Kiosk) ctx() context.Context { return context.Background() }

// readProblem notes an error from below that a screen works around (it
// shows what it could read): logged, and said on the next screen drawn.
// It reports whether there was one.
func (k *Kiosk) readProblem(what string, err error) bool {
	if err == nil {
		return false
	}
	log.Printf("%s: %v", what, err)
	k.problems = append(k.problems, ErrorText(err))
	return true
}

// frame wraps a screen with the title bar, the demo banner and, when
// signed in, the staff line.
func (k *Kiosk) frame(name string, body fyne.CanvasObject, focus fyne.Focusable) {
	if k.cancelCheck != nil {
		k.cancelCheck() // leaving a check stops it (a finished one: no-op)
		k.cancelCheck = nil
	}
	k.screen = name
	k.dropPhotos()
	title := NewText(lang.L("app.title"), theme.SizeNameHeadingText, true)
	top := container.NewVBox()
	if k.staff.ID != "" {
		logout := NewBigButton(lang.L("home.logout"), theme.LogoutIcon(), k.Logout)
		who := NewText(lang.L("home.staff", map[string]any{"Name": k.staff.Name, "ID": k.staff.ID}), theme.SizeNameText, false)
		top.Add(container.NewBorder(nil, nil, nil, container.NewHBox(who, logout), title))
	} else {
		top.Add(title)
	}
	if k.opt.Demo {
		top.Add(demoBanner())
	}
	if len(k.problems) > 0 { // what the screen could not read, said once, on it
		p := canvas.NewText(lang.L("problem.read", map[string]any{"Message": k.problems[0]}), theme.Color(theme.ColorNameError))
		p.TextSize = theme.Size(theme.SizeNameText)
		p.TextStyle.Bold = true
		top.Add(p)
		k.problems = nil
	}
	k.Window.SetContent(container.NewPadded(container.NewBorder(top, nil, nil, nil, body)))
	if focus != nil {
		k.Window.Canvas().Focus(focus)
	}
}

// ShowLogin shows the sign-in screen.
func (k *Kiosk) ShowLogin() {
	k.staff = certkiosk.Staff{}
	k.loginID = widget.NewEntry()
	k.loginID.SetPlaceHolder(lang.L("login.staff"))
	k.loginPIN = widget.NewPasswordEntry()
	k.loginPIN.SetPlaceHolder(lang.L("login.pin"))
	k.loginMsg = NewParagraph("", theme.SizeNameText, true)
	k.loginMsg.Importance = widget.DangerImportance
	submit := func() { k.submitLogin() }
	k.loginID.OnSubmitted = func(string) { k.Window.Canvas().Focus(k.loginPIN) }
	k.loginPIN.OnSubmitted = func(string) { submit() }
	button := NewBigButton(lang.L("login.submit"), theme.LoginIcon(), submit)
	button.Importance = widget.HighImportance
	form := container.NewVBox(
		NewText(lang.L("app.subtitle"), theme.SizeNameText, false),
		NewText(lang.L("login.title"), theme.SizeNameSubHeadingText, true),
		widget.NewForm(widget.NewFormItem(lang.L("login.staff"), k.loginID), widget.NewFormItem(lang.L("login.pin"), k.loginPIN)),
		button, k.loginMsg)
	if k.opt.Demo {
		form.Add(NewText(lang.L("login.demo", map[string]any{"ID": certkiosk.DemoStaffID, "PIN": certkiosk.DemoStaffPIN}), theme.SizeNameText, false))
	}
	box := container.NewGridWrap(fyne.NewSize(640, 520), form)
	k.frame("login", container.NewCenter(box), k.loginID)
}

func (k *Kiosk) submitLogin() {
	id, pin := strings.TrimSpace(k.loginID.Text), k.loginPIN.Text
	if id == "" || pin == "" {
		k.loginMsg.SetText(lang.L("login.empty"))
		return
	}
	st, err := k.DB.Login(k.ctx(), id, pin)
	if err != nil {
		k.loginPIN.SetText("")
		k.loginMsg.SetText(ErrorText(err))
		return
	}
	k.staff = st
	if k.opt.OnSignIn != nil {
		k.opt.OnSignIn()
	}
	k.ShowHome()
}

// Logout signs the staff member out.
func (k *Kiosk) Logout() { k.ShowLogin() }

// LoginMessage is the sign-in screen's message line.
func (k *Kiosk) LoginMessage() string { return k.loginMsg.Text }

// Login fills in and submits the sign-in form (tests and keyboard users).
func (k *Kiosk) Login(id, pin string) {
	k.loginID.SetText(id)
	k.loginPIN.SetText(pin)
	k.submitLogin()
}

func (k *Kiosk) today() certkiosk.Date { return certkiosk.DateOf(k.opt.Now().In(certkiosk.China)) }

// ShowHome shows search, today's counts, the due list and navigation.
func (k *Kiosk) ShowHome() {
	k.search = widget.NewEntry()
	k.search.SetPlaceHolder(lang.L("home.search.hint"))
	k.searchMsg = NewParagraph("", theme.SizeNameText, false)
	k.search.OnChanged = func(s string) { k.searchMsg.SetText(searchHint(s)) }
	k.search.OnSubmitted = func(s string) { k.Find(s) }
	find := NewBigButton(lang.L("home.search.button"), theme.SearchIcon(), func() { k.Find(k.search.Text) })
	find.Importance = widget.HighImportance
	searchRow := container.NewBorder(nil, nil, nil, find, k.search)

	counts, err := k.DB.DayCounts(k.ctx(), k.today())
	k.readProblem("today's counts", err)
	today := NewText(lang.L("home.today.counts", map[string]any{"Pass": counts[certkiosk.VerdictPass],
		"Fail": counts[certkiosk.VerdictFail], "Review": counts[certkiosk.VerdictManualReview]}), theme.SizeNameText, false)

	due, err := k.DB.DueList(k.ctx(), k.today(), 200)
	k.readProblem("due list", err)
	var dueView fyne.CanvasObject
	if len(due) == 0 {
		dueView = NewText(lang.L("home.due.empty"), theme.SizeNameText, false)
	} else {
		list := widget.NewList(func() int { return len(due) },
			func() fyne.CanvasObject { return NewText("", theme.SizeNameText, false) },
			func(i widget.ListItemID, o fyne.CanvasObject) {
				e := due[i]
				line := fmt.Sprintf("%s  %s  %s", e.Name, e.ID.Masked(), statusText(e.Status))
				if !e.Due.IsZero() {
					line += "  " + lang.L("card.due") + " " + e.Due.String()
				}
				o.(*widget.Label).SetText(line)
			})
		list.OnSelected = func(i widget.ListItemID) { k.ShowRetiree(due[i].Retiree) }
		dueView = list
	}
	var buttons []fyne.CanvasObject
	if k.opt.Device != nil || k.reader != readerNone {
		buttons = append(buttons, NewBigButton(lang.L("home.device"), theme.ComputerIcon(), k.ShowDevice))
	}
	buttons = append(buttons, NewBigButton(lang.L("home.records"), theme.ListIcon(), k.ShowRecords),
		NewBigButton(lang.L("home.sync"), theme.UploadIcon(), k.ShowSync))
	if k.staff.Role.Allows(certkiosk.RoleSupervisor) {
		buttons = append(buttons, NewBigButton(lang.L("home.settings"), theme.SettingsIcon(), k.ShowSettings))
	}
	if k.staff.Role.Allows(certkiosk.RoleAdmin) {
		buttons = append(buttons, NewBigButton(lang.L("home.staffadmin"), theme.AccountIcon(), k.ShowStaffAdmin))
	}
	nav := container.NewHBox(append(buttons, layout.NewSpacer(), k.syncLine)...)
	k.refreshSyncLine()
	top := container.NewVBox(
		NewText(lang.L("home.search"), theme.SizeNameSubHeadingText, true), searchRow, k.searchMsg)
	if row := k.demoReaderRow(); row != nil {
		top.Add(row)
	}
	top.Add(container.NewHBox(NewText(lang.L("home.today"), theme.SizeNameText, true), today))
	top.Add(NewText(lang.L("home.due"), theme.SizeNameSubHeadingText, true))
	k.frame("home", container.NewBorder(top, nav, nil, nil, dueView), k.search)
}

// searchHint checks an ID number as it is typed.
func searchHint(s string) string {
	s = strings.TrimSpace(s)
	n := len([]rune(s))
	switch {
	case n == 0:
		return ""
	case n < 18 && n != 15:
		return lang.L("home.search.typing", map[string]any{"N": n, "Left": 18 - n})
	}
	if _, err := certkiosk.ParseResidentID(s); err != nil {
		return ErrorText(err)
	}
	return ""
}

// Find looks up an ID number and opens the retiree's card.
func (k *Kiosk) Find(s string) {
	id, err := certkiosk.ParseResidentID(s)
	if err != nil {
		k.searchMsg.SetText(ErrorText(err))
		return
	}
	r, err := k.DB.LookupRetiree(k.ctx(), k.actor(), id)
	if err != nil {
		k.searchMsg.SetText(ErrorText(err))
		return
	}
	k.ShowRetiree(r)
}

// SearchMessage is the line under the search box.
func (k *Kiosk) SearchMessage() string { return k.searchMsg.Text }

func statusText(s certkiosk.Status) string { return lang.L("status." + string(s)) }

// statusColor backs the status words (never colour alone).
func statusColor(s certkiosk.Status) color.Color {
	switch s {
	case certkiosk.StatusOverdue:
		return theme.Color(theme.ColorNameError)
	case certkiosk.StatusDueSoon, certkiosk.StatusNever:
		return theme.Color(theme.ColorNameForegroundOnWarning)
	}
	return theme.Color(theme.ColorNameSuccess)
}

// ShowRetiree shows a retiree's card; the identity number is masked.
func (k *Kiosk) ShowRetiree(r certkiosk.Retiree) {
	st := certkiosk.CycleStatus(r.LastCert, k.today())
	orNone := func(d certkiosk.Date) string {
		if d.IsZero() {
			return lang.L("card.none")
		}
		return d.String()
	}
	var due certkiosk.Date
	if !r.LastCert.IsZero() {
		due = certkiosk.DueDate(r.LastCert)
	}
	big := func(s string) *widget.Label { return NewText(s, SizeNameRetireeText, false) }
	status := canvas.NewText(statusText(st), statusColor(st))
	status.TextSize = theme.Size(SizeNameRetireeText)
	status.TextStyle.Bold = true
	form := widget.NewForm(
		widget.NewFormItem(lang.L("card.name"), NewText(r.Name, SizeNameRetireeText, true)),
		widget.NewFormItem(lang.L("card.id"), big(r.ID.Masked())),
		widget.NewFormItem(lang.L("card.category"), big(r.Category)),
		widget.NewFormItem(lang.L("card.last"), big(orNone(r.LastCert))),
		widget.NewFormItem(lang.L("card.due"), big(orNone(due))),
		widget.NewFormItem(lang.L("card.status"), status),
	)
	// The pension and the contacts beside the identity, so the card shows
	// everything without scrolling.
	side := widget.NewForm(append([]*widget.FormItem{widget.NewFormItem(lang.L("card.pension"),
		NewParagraph(PensionText(r.PensionOn(k.today())), SizeNameRetireeText, true))}, k.contactRows(r)...)...)
	if k.visit == nil || k.visit.retiree.ID != r.ID {
		k.visit = &visit{retiree: r}
	}
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), func() { k.endVisit(); k.ShowHome() })
	again := func() {
		if x, err := k.DB.FindRetiree(k.ctx(), r.ID); err == nil {
			k.ShowRetiree(x)
		}
	}
	buttons := container.NewHBox(back,
		NewBigButton(lang.L("card.relative.button"), theme.ContentAddIcon(), func() { k.ShowRelative(r.ID, again) }))
	var focus fyne.Focusable
	if k.opt.Checker != nil {
		blink := NewBigButton(lang.L("card.certify.blink"), theme.VisibilityIcon(), func() { k.StartCertification(certkiosk.MethodBlink) })
		blink.Importance = widget.HighImportance
		digits := NewBigButton(lang.L("card.certify.digits"), theme.MediaRecordIcon(), func() { k.StartCertification(certkiosk.MethodDigits) })
		buttons.Add(layout.NewSpacer())
		buttons.Add(digits)
		buttons.Add(blink)
		focus = blink
	}
	title := fyne.CanvasObject(NewText(lang.L("card.title"), theme.SizeNameSubHeadingText, true))
	if k.visit.byCard {
		title = container.NewHBox(title, NewText(lang.L("reader.read"), theme.SizeNameSubHeadingText, false))
	}
	k.frame("retiree", container.NewBorder(title,
		buttons, nil, nil, container.NewVScroll(container.NewGridWithColumns(2, form, side))), focus)
	k.escTo(func() { k.endVisit(); k.ShowHome() })
}

// escTo makes Esc go to a screen (keyboard operation for staff).
func (k *Kiosk) escTo(f func()) {
	k.Window.Canvas().SetOnTypedKey(func(e *fyne.KeyEvent) {
		if e.Name == fyne.KeyEscape {
			k.Window.Canvas().SetOnTypedKey(nil)
			f()
		}
	})
}

// clockView says how far this kiosk's clock is from the central's: beyond
// certkiosk.MaxClockOffset the store refuses to certify, and staff see why.
func (k *Kiosk) clockView() fyne.CanvasObject {
	off, at, known, err := k.DB.ClockOffset(k.ctx())
	k.readProblem("clock offset", err)
	label := NewText(lang.L("clock.title"), theme.SizeNameText, true)
	switch {
	case !known:
		return container.NewHBox(label, NewText(lang.L("clock.unknown"), theme.SizeNameText, false))
	case off > certkiosk.MaxClockOffset || off < -certkiosk.MaxClockOffset:
		t := canvas.NewText(lang.L("clock.off", map[string]any{"Seconds": int(off.Abs().Seconds())}), theme.Color(theme.ColorNameError))
		t.TextSize, t.TextStyle.Bold = theme.Size(theme.SizeNameText), true
		return container.NewHBox(label, t)
	}
	return container.NewHBox(label, NewText(lang.L("clock.ok", map[string]any{"Seconds": int(off.Abs().Seconds()),
		"At": at.In(certkiosk.China).Format("2006-01-02 15:04")}), theme.SizeNameText, false))
}

// ShowDevice shows the device-status view.
func (k *Kiosk) ShowDevice() {
	back := NewBigButton(lang.L("card.back"), theme.NavigateBackIcon(), k.ShowHome)
	var dev fyne.CanvasObject = layout.NewSpacer()
	if k.opt.Device != nil {
		dev = k.opt.Device()
	}
	top := container.NewVBox(k.clockView())
	if r := k.readerView(); r != nil {
		top.Add(r)
	}
	k.frame("device", container.NewBorder(top, container.NewHBox(back), nil, nil, dev), nil)
	k.escTo(k.ShowHome)
}

// refreshSyncLine shows the outbox on the home screen.
func (k *Kiosk) refreshSyncLine() {
	c, err := k.DB.SyncCounts(k.ctx())
	if err != nil {
		return
	}
	k.syncLine.SetText(lang.L("shell.sync.pending", map[string]any{"Pending": c.Pending}))
}

// SyncProgress is what the sync worker reports to the screens.
type SyncProgress struct {
	Sent, Total int       // this run's progress, for the bar
	Pending     int       // records not yet acknowledged
	Done        time.Time // when everything was last uploaded; zero if not now
	Failure     string    // why uploading fails now, in Chinese; "" when fine
}

// SetSyncProgress updates the home screen's sync line and the sync
// screen's bar (from any goroutine but the UI's own). It does not wait for
// the UI: the sync worker must be able to stop while the window closes.
func (k *Kiosk) SetSyncProgress(p SyncProgress) {
	text := lang.L("shell.sync.pending", map[string]any{"Pending": p.Pending})
	switch {
	case p.Failure != "":
		text = lang.L("shell.sync.error", map[string]any{"Message": p.Failure})
	case p.Pending == 0 && !p.Done.IsZero():
		text = lang.L("shell.sync.done.time", map[string]any{"Time": p.Done.In(certkiosk.China).Format("15:04")})
	}
	fyne.Do(func() {
		k.syncLine.SetText(text)
		if k.syncBar != nil && p.Total > 0 {
			k.syncBar.Max = float64(p.Total)
			k.syncBar.SetValue(float64(p.Sent))
			k.syncBar.Show()
			k.syncMsg.SetText(lang.L("syncscreen.progress", map[string]any{"Sent": p.Sent, "Total": p.Total}))
		}
		if k.syncMsg != nil && p.Failure != "" {
			k.syncMsg.SetText(p.Failure)
		}
	})
}

// ShowFirstDue opens the card of the first retiree on the due list.
func (k *Kiosk) ShowFirstDue() {
	due, err := k.DB.DueList(k.ctx(), k.today(), 1)
	k.readProblem("due list", err)
	if len(due) > 0 {
		k.ShowRetiree(due[0].Retiree)
	}
}
