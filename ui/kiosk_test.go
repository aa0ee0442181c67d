package ui

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newTestKiosk(t *testing.T) (*Kiosk, *store.DB) { return newKioskIn(t, "zh") }

// newKioskIn is a demo kiosk in language code, pinned to testNow.
func newKioskIn(t *testing.T, code string) (*Kiosk, *store.DB) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	db.SetClock(func() time.Time { return testNow })
	if err := store.SeedDemo(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	if err := UseLanguage(code); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	k := NewKiosk(a, db, Options{Demo: true, Now: func() time.Time { return testNow }})
	t.Cleanup(k.Window.Close)
	return k, db
}

func screenText(k *Kiosk) string { return strings.Join(canvasTexts(k.Window.Content()), "|") }

func TestLoginAndLockout(t *testing.T) {
	k, _ := newTestKiosk(t)
	if k.Window.Title() != "养老金领取资格认证" || k.Screen() != "login" {
		t.Fatalf("start: %q %s", k.Window.Title(), k.Screen())
	}
	if !strings.Contains(screenText(k), "演示账号：工号 9001") {
		t.Fatalf("demo login hint missing: %s", screenText(k))
	}
	// Keyboard: the staff ID box has focus; Enter moves to the PIN.
	if k.Window.Canvas().Focused() != k.loginID {
		t.Fatal("staff ID entry is not focused")
	}
	k.Login("", "")
	if k.LoginMessage() != "请输入工号和密码" {
		t.Fatalf("empty: %q", k.LoginMessage())
	}
	for i := 0; i < 4; i++ {
		k.Login(store.DemoStaffID, "000000")
		if k.LoginMessage() != "工号或密码不对" || k.Screen() != "login" {
			t.Fatalf("wrong PIN %d: %q", i, k.LoginMessage())
		}
	}
	k.Login(store.DemoStaffID, "000000")
	if !strings.Contains(k.LoginMessage(), "15分钟后再试") {
		t.Fatalf("lockout: %q", k.LoginMessage())
	}
	k.Login(store.DemoStaffID, store.DemoStaffPIN) // right PIN, still locked
	if k.Screen() != "login" || !strings.Contains(k.LoginMessage(), "锁定") {
		t.Fatalf("locked account got in: %s %q", k.Screen(), k.LoginMessage())
	}
}

func TestSearchCardAndBack(t *testing.T) {
	k, db := newTestKiosk(t)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	if k.Screen() != "home" || !strings.Contains(screenText(k), "待认证名单") || !strings.Contains(screenText(k), "演示员") {
		t.Fatalf("home: %s %s", k.Screen(), screenText(k))
	}
	test.Type(k.search, "11010")
	if got := k.SearchMessage(); got != "已输入 5 位，还差 13 位" {
		t.Fatalf("typing hint %q", got)
	}
	k.search.SetText("110105194912310021")
	if got := k.SearchMessage(); !strings.Contains(got, "校验位") {
		t.Fatalf("bad checksum hint %q", got)
	}
	k.Find("11010519491231002X") // valid, not on the demo roster
	if got := k.SearchMessage(); got != "名册中没有这个身份证号" || k.Screen() != "home" {
		t.Fatalf("not found: %q %s", got, k.Screen())
	}
	ids, _ := db.ListRetireeIDs(context.Background(), 1)
	r, _ := db.FindRetiree(context.Background(), ids[0])
	k.search.SetText(string(r.ID))
	k.search.OnSubmitted(k.search.Text) // Enter
	if k.Screen() != "retiree" {
		t.Fatalf("after Enter: %s (%q)", k.Screen(), k.SearchMessage())
	}
	text := screenText(k)
	if !strings.Contains(text, r.Name) || !strings.Contains(text, r.ID.Masked()) || strings.Contains(text, string(r.ID)) {
		t.Fatalf("card shows %s", text)
	}
	k.Window.Canvas().(test.WindowlessCanvas).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if k.Screen() != "home" {
		t.Fatalf("Esc from the card: %s", k.Screen())
	}
	entries, _ := db.AuditEntries(context.Background(), 50)
	lookups := 0
	for _, e := range entries {
		if e.Action == store.ActLookup {
			lookups++
			if strings.Contains(e.Subject, string(r.ID)) {
				t.Fatal("audit subject holds a full ID")
			}
		}
	}
	if lookups != 2 {
		t.Fatalf("%d lookups audited, want 2 (not found, found)", lookups)
	}
}

func TestRecordsAndSyncScreens(t *testing.T) {
	k, db := newTestKiosk(t)
	ctx := context.Background()
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.ShowRecords()
	if !strings.Contains(screenText(k), "没有符合条件的记录") {
		t.Fatalf("empty records: %s", screenText(k))
	}
	ids, _ := db.ListRetireeIDs(ctx, 1)
	c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: ids[0], StaffID: store.DemoStaffID, Method: certkiosk.MethodBlink,
		Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`), Started: testNow.Add(-9 * time.Second), Ended: testNow, Attempt: 1}
	if err := db.SaveCertification(ctx, "t", c, nil); err != nil {
		t.Fatal(err)
	}
	k.ShowHome()
	if !strings.Contains(screenText(k), "通过 1 人") {
		t.Fatalf("today's counts: %s", screenText(k))
	}
	k.ShowRecords()
	if strings.Contains(screenText(k), "没有符合条件的记录") {
		t.Fatal("the saved record is not listed")
	}
	// Filtered to a day with no record: gone; back to all: there.
	old := k.opt.Now
	k.opt.Now = func() time.Time { return testNow.AddDate(0, 2, 0) }
	k.ShowRecords()
	setSelect(t, k, "今天")
	if !strings.Contains(screenText(k), "没有符合条件的记录") {
		t.Fatal("a record from two months ago shows under today")
	}
	setSelect(t, k, "全部")
	if strings.Contains(screenText(k), "没有符合条件的记录") {
		t.Fatal("the record is gone under all dates")
	}
	k.opt.Now = old
	k.ShowSync()
	text := screenText(k)
	if !strings.Contains(text, "待上传 1 条") || !strings.Contains(text, "尚未注册到中心") {
		t.Fatalf("sync screen: %s", text)
	}
	k.Logout()
	if k.Screen() != "login" || k.staff.ID != "" {
		t.Fatal("logout did not sign out")
	}
}

func TestSettingsAndStaffAdminByRole(t *testing.T) {
	k, db := newTestKiosk(t)
	ctx := context.Background()
	if err := db.AddStaff(ctx, "t", certkiosk.Staff{ID: "B001", Name: "窗口", Role: certkiosk.RoleOperator}, "135790"); err != nil {
		t.Fatal(err)
	}
	k.Login("B001", "135790")
	if strings.Contains(screenText(k), "设置") {
		t.Fatal("an operator sees settings")
	}
	k.ShowSettings()
	if k.Screen() != "home" {
		t.Fatalf("an operator reached %s", k.Screen())
	}
	k.Logout()
	k.Login(store.DemoStaffID, store.DemoStaffPIN) // supervisor
	k.ShowSettings()
	if k.Screen() != "settings" {
		t.Fatalf("supervisor: %s", k.Screen())
	}
	k.ShowStaffAdmin()
	if k.Screen() != "home" {
		t.Fatal("a supervisor reached staff admin")
	}
	sup := certkiosk.Staff{ID: store.DemoStaffID, Role: certkiosk.RoleSupervisor}
	op := certkiosk.Staff{ID: "B001", Role: certkiosk.RoleOperator}
	if err := db.SetIntSettings(ctx, op, map[store.Key]int{store.SetBlinks: 3}); certkiosk.ErrorCodeOf(err) != certkiosk.EUNAUTHORIZED {
		t.Fatalf("an operator changed a setting: %v", err)
	}
	if err := db.SetIntSettings(ctx, sup, map[store.Key]int{store.SetBlinks: 9}); err == nil {
		t.Fatal("9 blinks accepted")
	}
	if err := db.SetIntSettings(ctx, sup, map[store.Key]int{store.SetBlinks: 3, store.SetTimeoutSecs: 15}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.IntSetting(ctx, store.SetBlinks, 2); n != 3 {
		t.Fatalf("blinks %d", n)
	}
}

func TestSyncProgressAndMute(t *testing.T) {
	k, db := newTestKiosk(t)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.ShowSync()
	k.SetSyncProgress(SyncProgress{Sent: 200, Total: 450, Pending: 250})
	if k.syncBar.Value != 200 || k.syncBar.Max != 450 || !strings.Contains(screenText(k), "已上传 200 / 450 条") {
		t.Fatalf("bar %v/%v; %s", k.syncBar.Value, k.syncBar.Max, screenText(k))
	}
	k.SetSyncProgress(SyncProgress{Pending: 3, Failure: "连不上中心服务，数据已保存在本机，联网后会自动上传"})
	if !strings.Contains(screenText(k), "连不上中心服务") {
		t.Fatalf("failure not shown: %s", screenText(k))
	}
	k.leaveSync()
	k.SetSyncProgress(SyncProgress{Pending: 0, Done: time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)})
	if !strings.Contains(screenText(k), "已全部上传（09:30）") {
		t.Fatalf("home sync line: %s", screenText(k))
	}
	k.ShowSettings()
	var sound *widget.Check
	var find func(o fyne.CanvasObject)
	find = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Check:
			sound = w
		case *container.Scroll:
			find(w.Content)
		case *fyne.Container:
			for _, c := range w.Objects {
				find(c)
			}
		}
	}
	find(k.Window.Content())
	if sound == nil || !sound.Checked {
		t.Fatal("sound switch missing or off by default")
	}
	sound.SetChecked(false)
	if v, _ := db.IntSetting(context.Background(), store.SetSoundMuted, 0); v != 1 {
		t.Fatal("muting was not saved")
	}
}

// setSelect picks an option in the first select on the screen that has it.
func setSelect(t *testing.T, k *Kiosk, option string) {
	t.Helper()
	var found *widget.Select
	var find func(o fyne.CanvasObject)
	find = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Select:
			for _, opt := range w.Options {
				if opt == option && found == nil {
					found = w
				}
			}
		case *fyne.Container:
			for _, c := range w.Objects {
				find(c)
			}
		}
	}
	find(k.Window.Content())
	if found == nil {
		t.Fatalf("no select offers %q", option)
	}
	found.SetSelected(option)
}

// Staff can do the whole card-to-check step from the keyboard: the card
// focuses the blink button, Enter starts the check, Esc cancels it.
func TestKeyboardOnCard(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	k.opt.Checker = blocking{}
	r := openCard(t, k, db)
	_ = r
	focused, ok := k.Window.Canvas().Focused().(*BigButton)
	if !ok || focused.Text != "开始认证（眨眼）" {
		t.Fatalf("focus on the card: %#v", k.Window.Canvas().Focused())
	}
	ui.run(func() { focused.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	var screen string
	ui.run(func() { screen = k.Screen() })
	if screen != "certify" {
		t.Fatalf("Enter on the blink button: %s", screen)
	}
	ui.run(func() { k.Window.Canvas().(test.WindowlessCanvas).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	ui.run(func() { screen = k.Screen() })
	if screen != "retiree" {
		t.Fatalf("Esc during the check: %s", screen)
	}
}

// blocking is a check that never ends by itself.
type blocking struct{}

func (blocking) Start(certkiosk.Method) (string, <-chan check.Update, func(), error) {
	ch := make(chan check.Update)
	var once sync.Once
	return "", ch, func() { once.Do(func() { close(ch) }) }, nil
}
