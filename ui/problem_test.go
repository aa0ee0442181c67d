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
