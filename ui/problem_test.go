package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

// brokenDueList is the kiosk's store whose due list cannot be read.
type brokenDueList struct{ *store.DB }

func (brokenDueList) DueList(context.Context, certkiosk.Date, int) ([]certkiosk.DueEntry, error) {
	return nil, errors.New("disk I/O error")
}

// A screen that cannot read part of what it shows says so, instead of
// showing an empty list as if there were nothing.
func TestScreenSaysWhatItCouldNotRead(t *testing.T) {
	_, db := newTestKiosk(t)
	k := NewKiosk(test.NewTempApp(t), brokenDueList{db}, Options{Demo: true, Now: func() time.Time { return testNow }})
	t.Cleanup(k.Window.Close)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	if k.Screen() != "home" {
		t.Fatalf("sign-in: %s", k.Screen())
	}
	if text := screenText(k); !strings.Contains(text, "部分信息读取失败") {
		t.Fatalf("home with an unreadable due list: %s", text)
	}
	k.ShowRecords()
	if strings.Contains(screenText(k), "部分信息读取失败") {
		t.Fatal("the problem is said again on a screen that read everything")
	}
}

// The device screen says how far the kiosk's clock is from the central's,
// and why certification is paused when it is too far.
func TestDeviceScreenShowsTheClockOffset(t *testing.T) {
	k, db := newTestKiosk(t)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.ShowDevice()
	if !strings.Contains(screenText(k), "尚未与中心核对") {
		t.Fatalf("no offset learned: %s", screenText(k))
	}
	if err := db.NoteClockOffset(context.Background(), 12*time.Second, testNow); err != nil {
		t.Fatal(err)
	}
	k.ShowDevice()
	if !strings.Contains(screenText(k), "与中心相差 12 秒") {
		t.Fatalf("12 s off: %s", screenText(k))
	}
	if err := db.NoteClockOffset(context.Background(), -7*time.Minute, testNow); err != nil {
		t.Fatal(err)
	}
	k.ShowDevice()
	if !strings.Contains(screenText(k), "与中心相差 420 秒，超过 5 分钟：暂停认证") {
		t.Fatalf("7 min off: %s", screenText(k))
	}
}
