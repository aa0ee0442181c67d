package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/console"
)

func feedPIN(t *testing.T, pin string) {
	t.Helper()
	oldIn, oldTerm, oldKDF := stdin, stdinIsTerminal, consoleKDF
	stdin, stdinIsTerminal = strings.NewReader(pin+"\n"), func() bool { return false }
	consoleKDF = console.KDF{Time: 1, Memory: 8 * 1024, Threads: 1}
	t.Cleanup(func() { stdin, stdinIsTerminal, consoleKDF = oldIn, oldTerm, oldKDF })
}

// TestConsoleUserServeAndReport: an office creates a console user, signs
// in on the running centrald, and prints the lists from the command line.
func TestConsoleUserServeAndReport(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feedPIN(t, "12")
	err := run(ctx, []string{"--data", data, "console-user", "add", "--id", "K001", "--name", "王科长", "--role", "admin"}, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "PIN shorter") {
		t.Fatalf("short PIN: %v", err)
	}
	feedPIN(t, "482913")
	var out bytes.Buffer
	if err := run(ctx, []string{"--data", data, "console-user", "add", "--id", "K001", "--name", "王科长", "--role", "admin"}, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"--data", data, "console-user", "add", "--id", "K002", "--name", "x", "--role", "root"}, io.Discard, io.Discard, nil); err == nil {
		t.Fatal("role root accepted")
	}

	// A roster: one retiree due in 10 days, one lapsed 14 months ago.
	today := central.DayOf(time.Now())
	due, _ := certkiosk.CompleteResidentID("11010519491231002")
	lapsed, _ := certkiosk.CompleteResidentID("11010519500101001")
	roster := "身份证号,姓名,性别,出生日期,上次认证日期\n" +
		string(due) + ",张三,女,1949-12-31," + central.AddDays(today.AddMonths(-12), 10).String() + "\n" +
		string(lapsed) + ",李四,男,1950-01-01," + today.AddMonths(-14).String() + "\n"
	rf := filepath.Join(data, "roster.csv")
	if err := os.WriteFile(rf, []byte(roster), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"--data", data, "roster", "import", rf}, io.Discard, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	for list, want := range map[string]string{"due": string(due), "suspensions": string(lapsed)} {
		out.Reset()
		if err := run(ctx, []string{"--data", data, "report", list, "--month", certkiosk.MonthOf(today).String(), "--csv"}, &out, io.Discard, nil); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\r\n")
		if !strings.HasPrefix(lines[0], "\uFEFF身份证号,") || len(lines) != 2 || !strings.HasPrefix(lines[1], want+",") {
			t.Errorf("report %s --csv:\n%s", list, out.String())
		}
	}
	for _, day := range []string{"0", "32", "-3"} {
		for _, args := range [][]string{{"--data", data, "report", "due", "--cutoff-day", day},
			{"--data", data, "--cutoff-day", day, "report", "due"}} {
			if err := run(ctx, args, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "1 to 31") {
				t.Errorf("%v: %v", args, err)
			}
		}
	}
	if err := run(ctx, []string{"--data", data, "report", "everyone"}, io.Discard, io.Discard, nil); err == nil {
		t.Error("report of an unknown list succeeded")
	}

	ready := make(chan string, 1)
	go run(ctx, []string{"--data", data, "--listen", "127.0.0.1:0", "--insecure-http"}, io.Discard, io.Discard, ready)
	var addr string
	select {
	case addr = <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("centrald did not start")
	}
	base := "http://" + addr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(base + "/console/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("login page: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(base+"/console/login", url.Values{"csrf": {string(m[1])}, "id": {"K001"}, "pin": {"482913"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "王科长") || !strings.Contains(string(page), "<svg") {
		t.Fatalf("dashboard after sign-in: %d\n%s", resp.StatusCode, page)
	}
	// The terminals' API is still there beside the console.
	if resp, err := c.Get(base + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
}
