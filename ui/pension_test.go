package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

// tap presses the button labelled label as a pointer would.
func tap(t *testing.T, k *Kiosk, label string) {
	t.Helper()
	b := findButton(k.Window.Content(), label)
	if b == nil {
		t.Fatalf("no button %q on %s: %s", label, k.Screen(), screenText(k))
	}
	test.Tap(b)
}

// suspendedRetiree gives the first demo retiree a certification 13½
// months before testNow (2026-11-27): due 2026-10-10, suspended from
// 2026-11; and a registered phone and address.
func suspendedRetiree(t *testing.T, db *store.DB) certkiosk.Retiree {
	t.Helper()
	ctx := context.Background()
	ids, _ := db.ListRetireeIDs(ctx, 1)
	r, err := db.FindRetiree(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	r.LastCert = certkiosk.Date{Year: 2025, Month: 10, Day: 10}
	r.Phone, r.Address = "13812345678", "北京市东城区和平里 3 号"
	if err := db.PutRetirees(ctx, []certkiosk.Retiree{r}, true); err != nil {
		t.Fatal(err)
	}
	return r
}

// passWith runs a scripted check to its end: the checker's updates are
// applied by follow, which the test waits for (no sleeping).
func passWith(t *testing.T, k *Kiosk) {
	t.Helper()
	k.opt.Checker = &scripted{results: []check.Result{{Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
		Best: testFrameJPEG(), Started: testNow.Add(-6 * time.Second), Ended: testNow}}}
	k.StartCertification(certkiosk.MethodBlink)
	k.follows.Wait()
}

func TestCardShowsPensionAndContacts(t *testing.T) {
	k, db := newTestKiosk(t)
	r := suspendedRetiree(t, db)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.Find(string(r.ID))
	text := screenText(k)
	for _, want := range []string{"发放状态", "已于 2026年11月起暂停发放", "138****5678", "北京市东城区和平里 3 号", "亲情联系人", "未登记"} {
		if !strings.Contains(text, want) {
			t.Errorf("card lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "13812345678") {
		t.Fatal("the card shows the whole phone number")
	}
	// A relative's contact needs the retiree's consent.
	tap(t, k, "亲情联系人")
	if k.Screen() != "relative" {
		t.Fatalf("screen %s", k.Screen())
	}
	f := k.contacts
	test.Type(f.name, "李娜")
	f.relation.SetSelected("子女")
	test.Type(f.mobile, "139 0000 2222")
	tap(t, k, "保存")
	if k.Screen() != "relative" || !strings.Contains(f.msg.Text, "须经本人同意") {
		t.Fatalf("saved without consent: %s %q", k.Screen(), f.msg.Text)
	}
	test.Tap(f.consent)
	tap(t, k, "保存")
	if k.Screen() != "retiree" || !strings.Contains(screenText(k), "李娜（子女）139****2222") {
		t.Fatalf("after saving the relative: %s %s", k.Screen(), screenText(k))
	}
	if n, _ := db.PendingContacts(context.Background()); n != 1 {
		t.Fatalf("relative not queued for the central: %d", n)
	}
}

func TestPassEndsSuspensionAndChecksContacts(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	k.opt.FrameSource = certkiosk.FrameDemo
	r := suspendedRetiree(t, db)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.Find(string(r.ID))
	passWith(t, k)
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if k.Screen() != "pass" {
		t.Fatalf("screen %s: %s", k.Screen(), screenText(k))
	}
	// Certified on the 27th, after the 15th: back pay a month after resumption.
	want := "您的养老金将于 2026年12月恢复发放，停发的 1 个月将于 2027年1月补发"
	if !strings.Contains(screenText(k), want) || k.passSentence != want {
		t.Fatalf("pass screen lacks %q: %s", want, screenText(k))
	}
	// Contacts after the pass: a bad number is refused with a reason, a
	// good one saved and queued for the central.
	tap(t, k, "核对联系方式")
	if k.Screen() != "contacts" || !strings.Contains(screenText(k), "138****5678") {
		t.Fatalf("contacts: %s %s", k.Screen(), screenText(k))
	}
	f := k.contacts
	test.Type(f.phone, "1381234")
	tap(t, k, "保存更正")
	if k.Screen() != "contacts" || !strings.Contains(f.msg.Text, "电话号码格式不对") {
		t.Fatalf("bad phone: %s %q", k.Screen(), f.msg.Text)
	}
	f.phone.SetText("")
	test.Type(f.phone, "010 6234 5678")
	tap(t, k, "保存更正")
	if k.Screen() != "pass" {
		t.Fatalf("after the correction: %s %q", k.Screen(), f.msg.Text)
	}
	got, _ := db.FindRetiree(context.Background(), r.ID)
	if got.Phone != "010-62345678" || got.ContactChecked.IsZero() {
		t.Fatalf("phone %q checked %s", got.Phone, got.ContactChecked)
	}
	out, _ := db.ContactOutbox(context.Background(), "", 10)
	if len(out) != 1 || out[0].Kind != store.ContactCorrected {
		t.Fatalf("outbox = %+v", out)
	}
}

// The second visit shows the first pass's best frame beside the live face;
// a pass is final only with staff's answer, which the record keeps. A "no"
// sends the retiree to manual review.
func TestReferencePhotoAnswerIsKept(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	k.opt.FrameSource = certkiosk.FrameDemo
	r := suspendedRetiree(t, db)
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.Find(string(r.ID))
	passWith(t, k) // no reference yet: final at once, and its frame becomes the reference
	ui.run(func() {
		if k.Screen() != "pass" {
			t.Fatalf("first visit: %s", k.Screen())
		}
		k.visit = nil
		k.Find(string(r.ID))
	})
	passWith(t, k)
	ui.mu.Lock()
	if k.Screen() != "reference-ask" {
		t.Fatalf("a pass with an unanswered reference photo went to %s", k.Screen())
	}
	tap(t, k, "一致")
	if k.Screen() != "pass" {
		t.Fatalf("after 一致: %s", k.Screen())
	}
	k.visit = nil
	k.Find(string(r.ID))
	ui.mu.Unlock()
	// A failed attempt with the photo shown and nobody asked: no answer.
	k.opt.Checker = &scripted{results: []check.Result{{Verdict: certkiosk.VerdictFail, Reason: "no_blink",
		Metrics: []byte(`{}`), Started: testNow.Add(-6 * time.Second), Ended: testNow}}}
	k.StartCertification(certkiosk.MethodBlink)
	k.follows.Wait()
	passWith(t, k)
	ui.mu.Lock()
	defer ui.mu.Unlock()
	tap(t, k, "不一致，转人工审核")
	if k.Screen() != "review" || !strings.Contains(screenText(k), "与本人不一致") {
		t.Fatalf("after 不一致: %s %s", k.Screen(), screenText(k))
	}
	list, _ := db.ListCertifications(context.Background(), store.CertFilter{Retiree: r.ID})
	if len(list) != 4 {
		t.Fatalf("%d records", len(list))
	}
	// Newest first: the mismatch, the failure, the confirmed pass, the first pass.
	if m := list[0]; m.Verdict != certkiosk.VerdictManualReview || m.Reason != "photo_mismatch" || m.PhotoMatch == nil || *m.PhotoMatch {
		t.Fatalf("mismatch record: %+v", m)
	}
	if f := list[1]; f.Verdict != certkiosk.VerdictFail || f.PhotoMatch != nil {
		t.Fatalf("failure nobody was asked about records an answer: %+v", f)
	}
	if p := list[2]; p.Verdict != certkiosk.VerdictPass || p.PhotoMatch == nil || !*p.PhotoMatch {
		t.Fatalf("confirmed pass: %+v", p)
	}
	if p := list[3]; p.PhotoMatch != nil {
		t.Fatalf("first pass had no photo to compare, yet records %v", *p.PhotoMatch)
	}
}
