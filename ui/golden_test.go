package ui

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
)

// Golden renders of every screen, as Fyne markup in testdata/screens/.
// After a deliberate change of a screen, rewrite them with
//
//	go test ./ui -run TestScreensMatchGoldens -update-golden
//
// (or `make golden`), look at the diff and commit it with the change.
var updateGolden = flag.Bool("update-golden", false, "rewrite ui/testdata/screens from the current screens")

// station is a check that plays the given updates and then stays open
// until cancelled (no updates: a check still positioning); it never sleeps.
type station struct {
	code    string
	err     error
	updates []check.Update
	end     bool // close the channel after the updates, as a check cut off would
}

func (s station) Start(certkiosk.Method) (string, <-chan check.Update, func(), error) {
	if s.err != nil {
		return "", nil, nil, s.err
	}
	ch := make(chan check.Update, len(s.updates))
	final := false
	for _, u := range s.updates {
		ch <- u
		final = final || u.Final()
	}
	var once sync.Once
	stop := func() { once.Do(func() { close(ch) }) }
	if final || s.end {
		stop()
	}
	return s.code, ch, stop, nil
}

// screenCase reaches one screen from a fresh kiosk signed out.
type screenCase struct {
	name  string
	reach func(t *testing.T, k *Kiosk, db *store.DB)
}

// screen is the kiosk's name for the case's screen.
func (sc screenCase) screen() string {
	return strings.TrimSuffix(strings.TrimSuffix(sc.name, "-digits"), "-challenge")
}

func passResult() check.Result {
	return check.Result{Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`), Best: testFrameJPEG(),
		Started: testNow.Add(-6 * time.Second), Ended: testNow}
}

func certifyWith(s station, method certkiosk.Method) func(*testing.T, *Kiosk, *store.DB) {
	return func(t *testing.T, k *Kiosk, db *store.DB) {
		k.opt.Checker = s
		openCard(t, k, db)
		k.StartCertification(method)
		k.follows.Wait() // a final update has been applied; an open check waits in follow
	}
}

func signedIn(show func(k *Kiosk)) func(*testing.T, *Kiosk, *store.DB) {
	return func(t *testing.T, k *Kiosk, db *store.DB) {
		k.Login(store.DemoStaffID, store.DemoStaffPIN)
		show(k)
	}
}

var failNoBlink = station{updates: []check.Update{{Done: true, Result: check.Result{Verdict: certkiosk.VerdictFail,
	Reason: "no_blink", Metrics: []byte(`{"blinks":0}`), Started: testNow.Add(-12 * time.Second), Ended: testNow}}}}

var screenCases = []screenCase{
	{"login", func(*testing.T, *Kiosk, *store.DB) {}},
	{"home", signedIn(func(*Kiosk) {})},
	{"retiree", func(t *testing.T, k *Kiosk, db *store.DB) { openCard(t, k, db) }},
	{"certify", func(t *testing.T, k *Kiosk, db *store.DB) {
		k.opt.Checker = station{}
		openCard(t, k, db)
		k.StartCertification(certkiosk.MethodBlink)
	}},
	{"certify-digits", func(t *testing.T, k *Kiosk, db *store.DB) {
		k.opt.Checker = station{code: "4821"}
		openCard(t, k, db)
		k.StartCertification(certkiosk.MethodDigits)
	}},
	{"certify-challenge", func(t *testing.T, k *Kiosk, db *store.DB) {
		// The moment of the challenge: the large prompt says "now", in the
		// interface's language, whatever words the engine used.
		certifyWith(station{end: true, updates: []check.Update{{Prompt: "challenge", Challenge: true,
			Remaining: 9 * time.Second}}}, certkiosk.MethodBlink)(t, k, db)
		if want := lang.L("certify.now.blink", map[string]any{"N": 2}); k.CertifyPrompt() != want {
			t.Fatalf("prompt %q, want %q", k.CertifyPrompt(), want)
		}
	}},
	{"pass", certifyWith(station{updates: []check.Update{{Done: true, Result: passResult()}}}, certkiosk.MethodBlink)},
	{"fail", certifyWith(failNoBlink, certkiosk.MethodBlink)},
	{"review-form", func(t *testing.T, k *Kiosk, db *store.DB) {
		certifyWith(failNoBlink, certkiosk.MethodBlink)(t, k, db)
		tapButton(t, k, lang.L("result.review"))
	}},
	{"review", func(t *testing.T, k *Kiosk, db *store.DB) {
		certifyWith(failNoBlink, certkiosk.MethodBlink)(t, k, db)
		tapButton(t, k, lang.L("result.review"))
		test.Type(k.reviewEntry, "视力差，无法配合")
		tapButton(t, k, lang.L("result.review.submit"))
	}},
	{"camera-problem", certifyWith(station{err: certkiosk.Errorf(certkiosk.EUNAVAILABLE, "未找到摄像头", "no camera")},
		certkiosk.MethodBlink)},
	{"save-problem", func(t *testing.T, k *Kiosk, db *store.DB) {
		k.opt.Checker = station{updates: []check.Update{{Done: true, Result: passResult()}}}
		openCard(t, k, db)
		failSaves(t, db) // the disk is gone: the record cannot be saved
		k.StartCertification(certkiosk.MethodBlink)
		k.follows.Wait()
	}},
	{"contacts", func(t *testing.T, k *Kiosk, db *store.DB) {
		r := openCard(t, k, db)
		k.ShowContacts(r.ID, func() {})
	}},
	{"relative", func(t *testing.T, k *Kiosk, db *store.DB) {
		r := openCard(t, k, db)
		k.ShowRelative(r.ID, func() {})
	}},
	{"reference-ask", func(t *testing.T, k *Kiosk, db *store.DB) {
		// With a reference photo from the central, a pass waits for staff
		// to compare the live face with it.
		ids, _ := db.ListRetireeIDs(context.Background(), 1)
		if err := db.PutReferencePhoto(context.Background(), "central", ids[0], store.RefCentral, testFrameJPEG()); err != nil {
			t.Fatal(err)
		}
		certifyWith(station{updates: []check.Update{{Done: true, Result: passResult()}}}, certkiosk.MethodBlink)(t, k, db)
	}},
	{"device", signedIn((*Kiosk).ShowDevice)},
	{"records", signedIn((*Kiosk).ShowRecords)},
	{"sync", signedIn((*Kiosk).ShowSync)},
	{"settings", signedIn((*Kiosk).ShowSettings)},
	{"staff", func(t *testing.T, k *Kiosk, db *store.DB) {
		err := db.AddStaff(context.Background(), "t", certkiosk.Staff{ID: "A001", Name: "管理员", Role: certkiosk.RoleAdmin}, "135790")
		if err != nil {
			t.Fatal(err)
		}
		k.Login("A001", "135790")
		k.ShowStaffAdmin()
	}},
}

// failSaves makes every later write of a certification fail inside SQLite,
// as a disk that went away would, while the database stays open (a closed
// one would be a use after close, which TestMain refuses).
func failSaves(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := db.SQL().Exec(`CREATE TRIGGER test_disk_gone BEFORE INSERT ON certification
		BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`)
	if err != nil {
		t.Fatal(err)
	}
}

// newScreenKiosk is a demo kiosk in language code with a device view,
// pinned to testNow.
func newScreenKiosk(t *testing.T, code string) (*Kiosk, *store.DB) {
	k, db := newKioskIn(t, code)
	shell := NewShell(ShellInfo{Demo: true, Version: "v1.0.0-test", DataDir: "/var/lib/certkiosk", RosterCount: 12,
		Camera: "/dev/video0", Enrolled: true, Pending: 3})
	k.opt.Device = func() fyne.CanvasObject { return shell.Content }
	k.opt.Preview = shell.Preview
	k.opt.ReceiptDir = filepath.Join(t.TempDir(), "receipts")
	t.Cleanup(func() { // an open check ends with the test
		if k.cancelCheck != nil {
			k.cancelCheck()
		}
		k.follows.Wait()
	})
	return k, db
}

// volatile is the part of a render that differs from run to run: the
// receipt code (random by design), whose width differs with it.
var (
	volatile = regexp.MustCompile(`\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]\b`)
	sizeAttr = regexp.MustCompile(` size="[0-9.]+x[0-9.]+"`)
)

func normalise(markup string) string {
	lines := strings.Split(markup, "\n")
	for i, l := range lines {
		if volatile.MatchString(l) {
			lines[i] = sizeAttr.ReplaceAllString(volatile.ReplaceAllString(l, "RECEIPT"), ` size="W"`)
		}
	}
	return strings.Join(lines, "\n")
}

// systemDates are the machine's dates the screens are walked at: as the
// machine says, 29 February of a leap year and a 31 December years away
// (CI adds one more through CERTKIOSK_TEST_SYSTEM_DATE, main_test.go; the
// kiosk pinned to such days is dates_test.go's). The kiosk's clock stays pinned to
// testNow, so the goldens hold on each: a screen that changes shows code
// that read the machine's date where the kiosk's clock was meant.
var systemDates = []string{"", "2028-02-29", "2031-12-31"}

// Every screen renders as its golden file says, in Chinese, whatever the
// machine's date.
func TestScreensMatchGoldens(t *testing.T) {
	if *updateGolden {
		screensMatchGoldens(t)
		return
	}
	for _, date := range systemDates {
		name := date
		if name == "" {
			name = "system"
		}
		t.Run(name, func(t *testing.T) {
			if date != "" {
				d, err := time.Parse(time.DateOnly, date)
				if err != nil {
					t.Fatal(err)
				}
				defer certkiosk.MoveSystemClockForTest(moveSystemDate(d))
			}
			screensMatchGoldens(t)
		})
	}
}

func screensMatchGoldens(t *testing.T) {
	for _, sc := range screenCases {
		t.Run(sc.name, func(t *testing.T) {
			k, db := newScreenKiosk(t, "zh")
			sc.reach(t, k, db)
			if k.Screen() != sc.screen() {
				t.Fatalf("reached %q, want %q: %s", k.Screen(), sc.screen(), screenText(k))
			}
			got := normalise(test.RenderToMarkup(k.Window.Canvas()))
			path := filepath.Join("testdata", "screens", sc.name+".xml")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				t.Fatalf("no golden %s: run go test ./ui -run TestScreensMatchGoldens -update-golden", path)
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(want) != got {
				failed := filepath.Join("testdata", "failed", sc.name+".xml")
				os.MkdirAll(filepath.Dir(failed), 0o755)
				os.WriteFile(failed, []byte(got), 0o644)
				t.Fatalf("screen %s differs from %s; the render is in %s (diff them; if the change is meant, "+
					"rewrite the goldens with -update-golden)", sc.name, path, failed)
			}
		})
	}
}

// In English no screen shows a Chinese character, except data: names
// and addresses from the roster, and what staff typed.
func TestEnglishScreensHaveNoChinese(t *testing.T) {
	defer UseLanguage("zh")
	for _, sc := range screenCases {
		t.Run(sc.name, func(t *testing.T) {
			k, db := newScreenKiosk(t, "en")
			data := rosterData(db)
			if len(data) < 10 {
				t.Fatalf("demo roster: %q", data)
			}
			sc.reach(t, k, db)
			data = append(data, rosterData(db)...) // and staff added on the way
			if k.Screen() != sc.screen() {
				t.Fatalf("reached %q, want %q: %s", k.Screen(), sc.screen(), screenText(k))
			}
			texts := append(canvasTexts(k.Window.Content()), k.Window.Title())
			for _, s := range texts {
				for _, d := range data {
					s = strings.ReplaceAll(s, d, "")
				}
				if i := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }); i >= 0 {
					t.Errorf("%s shows Chinese in English: %q", sc.name, s)
				}
			}
		})
	}
}

// rosterData is every string on the demo roster and staff list, and what
// the tests type: data, not interface.
func rosterData(db *store.DB) []string {
	ctx := context.Background()
	data := []string{"视力差，无法配合"}
	ids, _ := db.ListRetireeIDs(ctx, 1000)
	for _, id := range ids {
		if r, err := db.FindRetiree(ctx, id); err == nil {
			data = append(data, r.Name, r.Category, r.Address)
		}
	}
	staff, _ := db.ListStaff(ctx)
	for _, s := range staff {
		data = append(data, s.Name)
	}
	return data
}
