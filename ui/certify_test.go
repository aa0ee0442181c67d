package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

// scripted is a Checker that plays a fixed outcome (for the paths a real
// camera cannot easily reach in a test: three failures in a row).
type scripted struct {
	results []check.Result
	n       int
}

func (s *scripted) Start(method certkiosk.Method) (string, <-chan check.Update, func(), error) {
	ch := make(chan check.Update, 4)
	r := s.results[min(s.n, len(s.results)-1)]
	s.n++
	ch <- check.Update{Prompt: "challenge", Challenge: true, Remaining: 9 * time.Second}
	ch <- check.Update{Done: true, Result: r}
	close(ch)
	return "4821", ch, func() {}, nil
}

// serial stands in for the UI goroutine: fyne's test driver runs fyne.Do
// at once on the caller's goroutine, so the capture loop, the check's
// updates and the test itself take turns through one lock, as they would
// on the real UI goroutine.
type serial struct{ mu sync.Mutex }

func (s *serial) run(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func serialise(k *Kiosk) *serial {
	s := &serial{}
	k.do, k.post = s.run, s.run
	return s
}

func waitScreen(t *testing.T, k *Kiosk, ui *serial, want string) {
	t.Helper()
	k.follows.Wait() // the check's final update has been applied
	var screen, prompt string
	ui.run(func() { screen, prompt = k.Screen(), k.CertifyPrompt() })
	if screen != want {
		t.Fatalf("screen %q, want %q (prompt %q)", screen, want, prompt)
	}
}

func openCard(t *testing.T, k *Kiosk, db *store.DB) certkiosk.Retiree {
	t.Helper()
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	ids, _ := db.ListRetireeIDs(context.Background(), 1)
	r, _ := db.FindRetiree(context.Background(), ids[0])
	k.Find(string(r.ID))
	if k.Screen() != "retiree" {
		t.Fatalf("card: %s", k.Screen())
	}
	return r
}

func TestThreeFailuresThenManualReview(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	now := testNow
	k.opt.Checker = &scripted{results: []check.Result{{Verdict: certkiosk.VerdictFail, Reason: "no_blink",
		Metrics: []byte(`{"blinks":0}`), Started: now.Add(-12 * time.Second), Ended: now}}}
	r := openCard(t, k, db)
	for i := 1; i <= 3; i++ {
		method := certkiosk.MethodDigits
		if i == 1 {
			method = certkiosk.MethodBlink
		}
		ui.run(func() { k.StartCertification(method) })
		waitScreen(t, k, ui, "fail")
		var text string
		ui.run(func() { text = screenText(k) })
		if !strings.Contains(text, "没有检测到眨眼") {
			t.Fatalf("attempt %d: reason not in plain words: %s", i, text)
		}
		if (i < 3) != strings.Contains(text, "再试一次") {
			t.Fatalf("attempt %d: retry offered = %v", i, strings.Contains(text, "再试一次"))
		}
	}
	ui.mu.Lock() // the check goroutines are done; the test has the UI to itself
	defer ui.mu.Unlock()
	if !strings.Contains(screenText(k), "已试 3 次") {
		t.Fatalf("no word about the attempts: %s", screenText(k))
	}
	k.StartCertification(certkiosk.MethodBlink) // a fourth is refused
	if k.opt.Checker.(*scripted).n != 3 {
		t.Fatal("a fourth attempt ran")
	}
	k.showManualReview()
	k.reviewEntry.SetText("")
	// Empty reason: refused; a real one: saved.
	tapButton(t, k, "提交人工审核")
	if k.Screen() != "review-form" {
		t.Fatal("manual review saved without a reason")
	}
	k.reviewEntry.SetText("老人手抖，三次未通过，请上门核实")
	tapButton(t, k, "提交人工审核")
	if k.Screen() != "review" {
		t.Fatalf("after submit: %s", k.Screen())
	}
	recs, _ := db.ListCertifications(context.Background(), store.CertFilter{Retiree: r.ID})
	verdicts := map[certkiosk.Verdict]int{}
	for _, c := range recs {
		verdicts[c.Verdict]++
	}
	if verdicts[certkiosk.VerdictFail] != 3 || verdicts[certkiosk.VerdictManualReview] != 1 {
		t.Fatalf("records %v", verdicts)
	}
	var m map[string]any
	for _, c := range recs {
		if c.Verdict == certkiosk.VerdictManualReview {
			json.Unmarshal(c.Metrics, &m)
		}
	}
	if m["staff_reason"] != "老人手抖，三次未通过，请上门核实" {
		t.Fatalf("staff reason not kept: %v", m)
	}
}

func tapButton(t *testing.T, k *Kiosk, label string) {
	t.Helper()
	b := findButton(k.Window.Content(), label)
	if b == nil {
		t.Fatalf("no button %q on %s: %s", label, k.Screen(), screenText(k))
	}
	test.Tap(b)
}

// A pass as the retiree and staff see it: the customer window follows the
// prompt and ends on thanks; the receipt prints to a PDF in the receipt
// folder (no printer here).
func TestPassTellsCustomerAndPrints(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	k.opt.Customer = NewCustomerView(k.App)
	k.opt.ReceiptDir = filepath.Join(t.TempDir(), "receipts")
	ended := 0
	k.opt.OnVisitEnd = func() { ended++ }
	best := testFrameJPEG()
	k.opt.Checker = &scripted{results: []check.Result{{Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
		Best: best, Started: testNow.Add(-6 * time.Second), Ended: testNow}}}
	openCard(t, k, db)
	ui.run(func() { k.StartCertification(certkiosk.MethodBlink) })
	waitScreen(t, k, ui, "pass")
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if got := k.opt.Customer.Prompt(); got != "认证通过，谢谢您！" {
		t.Fatalf("customer window says %q", got)
	}
	tapButton(t, k, "打印回执")
	if !strings.Contains(screenText(k), "回执已保存") {
		t.Fatalf("print: %s", screenText(k))
	}
	if fi, err := os.Stat(k.lastReceiptPDF); err != nil || fi.Size() < 2000 {
		t.Fatalf("receipt PDF: %v", err)
	}
	if ended != 0 {
		t.Fatalf("the visit ended %d times before 「完成」", ended)
	}
	tapButton(t, k, "完成，返回首页")
	if k.opt.Customer.Prompt() != "您好！工作人员正在为您办理，请稍候" || k.Screen() != "home" {
		t.Fatalf("after done: %q %s", k.opt.Customer.Prompt(), k.Screen())
	}
	if ended != 1 {
		t.Fatalf("the visit ended %d times, want once (the kiosk returns its memory then)", ended)
	}
}

func testFrameJPEG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

// said records what the kiosk says.
type said struct {
	mu   sync.Mutex
	keys [][]string
}

func (s *said) Say(keys ...string) { s.mu.Lock(); s.keys = append(s.keys, keys); s.mu.Unlock() }
func (s *said) SetMuted(bool)      {}

// Issue 15: a failure the microphone heard is explained aloud after the
// verdict, in one sentence the speaker does not cut off.
func TestFailureSaysWhyAloud(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	sp := &said{}
	k.opt.Speaker = sp
	k.opt.Checker = &scripted{results: []check.Result{{Verdict: certkiosk.VerdictFail, Reason: "no_voice",
		Metrics: []byte(`{}`), Started: testNow.Add(-12 * time.Second), Ended: testNow, SpeechCheck: "lips_voice"}}}
	openCard(t, k, db)
	ui.run(func() { k.StartCertification(certkiosk.MethodDigits) })
	waitScreen(t, k, ui, "fail")
	var text string
	ui.run(func() { text = screenText(k) })
	if !strings.Contains(text, "没有听到读数字的声音") {
		t.Errorf("reason not shown in plain words: %s", text)
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if n := len(sp.keys); n == 0 || strings.Join(sp.keys[n-1], " ") != "fail no_voice" {
		t.Fatalf("said %v, want the verdict then the reason", sp.keys)
	}
}
