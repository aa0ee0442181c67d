package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk/central"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's chromium (scripts/deps.sh installs it). Under CI
// a missing browser fails the test; elsewhere it skips loudly.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CERTKIOSK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI=true but chromium is not installed: scripts/deps.sh must install it")
	}
	t.Skip("!!! console browser test NOT RUN: chromium not found (scripts/deps.sh installs it)")
	return ""
}

// TestBrowser drives the console in headless Chromium as an office worker
// would: sign in, open the review queue, approve a case, download a list,
// sign out. With CONSOLE_SCREENSHOTS=DIR it saves a PNG of every page.
func TestBrowser(t *testing.T) {
	path := chromium(t)
	e := newEnv(t)
	e.loadFixture()
	shots := os.Getenv("CONSOLE_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900), chromedp.Env("LANG=zh_CN.UTF-8"))
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	base := e.ts.URL
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "console-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in: the console sends the browser to the sign-in page first.
	do("open", chromedp.Navigate(base+"/console/"), chromedp.WaitVisible(chromedp.ID("pin")))
	shot("login")
	do("sign in", chromedp.SendKeys(chromedp.ID("id"), "A001"), chromedp.SendKeys(chromedp.ID("pin"), "246810"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`svg.chart`)))
	if h := text("h1"); h != "概览" {
		t.Fatalf("after sign-in the page is %q", h)
	}
	shot("dashboard")

	// The review queue, by its menu link; then F's case.
	f := e.recs["F"]
	do("open the queue", chromedp.Click(chromedp.CSS(`nav a[href="/console/review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/console/review/`+f+`"]`)))
	shot("review")
	do("open a case", chromedp.Click(chromedp.CSS(`a[href="/console/review/`+f+`"]`)), chromedp.WaitVisible(chromedp.ID("reason")))
	if !strings.Contains(text("main"), "冯六") {
		t.Fatal("case page lacks the retiree's name")
	}
	shot("case")
	do("approve", chromedp.Click(chromedp.ID("approve")), chromedp.SendKeys(chromedp.ID("reason"), "与以前照片一致，确认本人"),
		chromedp.Click(chromedp.CSS(`form[action="/console/review/`+f+`"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="review"]`)))
	do("back in the queue", chromedp.WaitNotPresent(chromedp.CSS(`a[href="/console/review/`+f+`"]`)))
	if c, err := e.st.Case(context.Background(), f); err != nil || c.Decision != central.Approve || c.DecidedBy != "A001" {
		t.Fatalf("after approving in the browser: %+v %v", c, err)
	}
	shot("review-after")

	// A retiree's page: search by name.
	do("search", chromedp.Navigate(base+"/console/retirees"), chromedp.SendKeys(chromedp.ID("q"), "安一"),
		chromedp.Click(chromedp.CSS(`form.search button`)), chromedp.WaitVisible(chromedp.CSS(`section.status`)))
	if s := text("section.status"); !strings.Contains(s, "2026年12月起暂停发放") {
		t.Fatalf("A's status: %q", s)
	}
	shot("retiree")
	do("open F", chromedp.Navigate(base+"/console/retirees/"+e.ids["F"]), chromedp.WaitVisible(chromedp.CSS(`section.status`)))
	shot("retiree-resumed")

	// Download January's resumption list: F is on it now.
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do("lists", chromedp.Navigate(base+"/console/lists?month=2027-01"), chromedp.WaitVisible(chromedp.ID("t-resumptions")))
	shot("lists")
	do("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
		return err
	}), chromedp.Click(chromedp.CSS(`a[href="/console/exports/resumptions.csv?month=2027-01"]`)))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
	}
	csv, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(csv), "\uFEFF身份证号,") || !strings.Contains(string(csv), e.ids["F"]+",冯六,2026-12,2026-12-10,2027-01,1,2027-01") ||
		!strings.Contains(string(csv), e.ids["D"]) || strings.Count(string(csv), "\r\n") != 3 {
		t.Fatalf("downloaded resumptions.csv:\n%s", csv)
	}

	// The admin pages.
	do("terminals", chromedp.Navigate(base+"/console/terminals"), chromedp.WaitVisible(chromedp.ID("tid")),
		chromedp.SendKeys(chromedp.ID("tid"), "T-0002"), chromedp.SendKeys(chromedp.ID("tname"), "东城区社区服务中心"),
		chromedp.Click(chromedp.CSS(`form[action="/console/terminals"] button`)), chromedp.WaitVisible(chromedp.CSS(`.token .code`)))
	shot("terminals")
	do("audit", chromedp.Navigate(base+"/console/audit"), chromedp.WaitVisible(chromedp.CSS(`table`)))
	shot("audit")

	// Sign out: back at the sign-in page, and the console is closed.
	do("sign out", chromedp.Click(chromedp.CSS(`form.who button`)), chromedp.WaitVisible(chromedp.ID("pin")))
	do("closed", chromedp.Navigate(base+"/console/review"), chromedp.WaitVisible(chromedp.ID("pin")))
	if got := e.auditRows("logout"); len(got) != 1 || got[0].User != "A001" {
		t.Errorf("logout audit: %+v", got)
	}
	if got := e.auditRows("export"); len(got) != 1 || got[0].Subject != "resumptions.csv" {
		t.Errorf("export audit: %+v", got)
	}
}

func ptr[T any](v T) *T { return &v }
