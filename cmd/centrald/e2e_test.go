package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real programs, as separate processes, on loopback: enrollment, a
// load of records, sync, stats, evidence export opened by the upstream age
// tool, and SIGKILL of the kiosk mid-sync and of centrald mid-ingest.

var bin string // directory with freshly built centrald and kioskctl

func TestMain(m *testing.M) {
	code := m.Run()
	if bin != "" {
		os.RemoveAll(bin)
	}
	os.Exit(code)
}

func buildBinaries(t *testing.T) {
	t.Helper()
	if bin != "" {
		return
	}
	dir, err := os.MkdirTemp("", "certkiosk-bin-")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"certkiosk/cmd/centrald", "certkiosk/cmd/kioskctl"} {
		out, err := exec.Command("go", "build", "-o", dir, p).CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build %s: %v\n%s", p, err, out)
		}
	}
	bin = dir
}

type centralProc struct {
	cmd  *exec.Cmd
	url  string
	data string
}

func startCentral(t *testing.T, data string) *centralProc {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "centrald"), "--data", data, "--listen", "127.0.0.1:0", "--insecure-http")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`serving on (https?://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case u := <-addr:
		c := &centralProc{cmd: cmd, url: u, data: data}
		t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
		return c
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("centrald did not start")
	}
	return nil
}

func runBin(t *testing.T, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, name), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

type syncJSON struct{ Sent, Acked, Pending, Conflicts int }
type statsJSON struct{ Records, Duplicates, Conflicts, Evidence int }

func stats(t *testing.T, data string) statsJSON {
	t.Helper()
	out, errOut, code := runBin(t, "", "centrald", "--data", data, "stats", "--json")
	var s statsJSON
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil {
		t.Fatalf("stats: %d %q %q", code, out, errOut)
	}
	return s
}

func TestProcessesEndToEnd(t *testing.T) {
	buildBinaries(t)
	cdata, kdata := filepath.Join(t.TempDir(), "central"), filepath.Join(t.TempDir(), "kiosk")
	c := startCentral(t, cdata)

	out, _, code := runBin(t, "", "centrald", "--data", cdata, "terminal", "add", "--id", "T-0001", "--name", "东城社区")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(token, "ckt1-") {
		t.Fatalf("terminal add: %d %q", code, out)
	}
	if _, e, code := runBin(t, "246810\n", "kioskctl", "--data", kdata, "init", "--load-test", "--admin", "A001"); code != 0 {
		t.Fatalf("init: %s", e)
	}
	if _, e, code := runBin(t, "", "kioskctl", "--data", kdata, "enroll", "--central", c.url, "--token", token, "--insecure-http"); code != 0 {
		t.Fatalf("enroll: %s", e)
	}
	if _, e, code := runBin(t, "", "kioskctl", "--data", kdata, "enroll", "--central", c.url, "--token", token, "--insecure-http"); code == 0 || !strings.Contains(e, "注册码") {
		t.Fatalf("second enroll with the same token: %d %s", code, e)
	}
	if _, e, code := runBin(t, "", "kioskctl", "--data", kdata, "loadgen", "--records", "300", "--evidence-kb", "20"); code != 0 {
		t.Fatalf("loadgen: %s", e)
	}
	out, e, code := runBin(t, "", "kioskctl", "--data", kdata, "sync", "--json")
	var r syncJSON
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Sent != 300 || r.Acked != 300 || r.Pending != 0 {
		t.Fatalf("sync: %d %q %s", code, out, e)
	}
	if s := stats(t, cdata); s.Records != 300 || s.Evidence != 300 || s.Conflicts != 0 {
		t.Fatalf("stats %+v", s)
	}

	// The roster, published centrally and pulled by the terminal.
	csv := filepath.Join(t.TempDir(), "roster.csv")
	os.WriteFile(csv, []byte("身份证号,姓名,性别,出生日期\n11010519491231002X,王秀英,女,1949-12-31\n310104195507311235,李建国,男,1955-07-31\n"), 0o600)
	// With a reference photo for one of them, which the pull fetches.
	photos := t.TempDir()
	var photo bytes.Buffer
	jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 30, 40)), nil)
	os.WriteFile(filepath.Join(photos, "11010519491231002X.jpg"), photo.Bytes(), 0o600)
	if out, e, code := runBin(t, "", "centrald", "--data", cdata, "roster", "import", csv, "--photos", photos); code != 0 ||
		!strings.Contains(out, "roster v1") || !strings.Contains(out, "reference photos: 1 stored") {
		t.Fatalf("centrald roster import: %q %s", out, e)
	}
	if out, e, code := runBin(t, "", "kioskctl", "--data", kdata, "roster", "pull"); code != 0 ||
		!strings.Contains(out, "roster v1 (full snapshot): 2 upserted") || !strings.Contains(out, "reference photos: 1 fetched") {
		t.Fatalf("kioskctl roster pull: %q %s", out, e)
	}
	if out, _, code := runBin(t, "", "kioskctl", "--data", kdata, "roster", "find", "310104195507311235"); code != 0 || !strings.Contains(out, "李建国") {
		t.Fatalf("find after pull: %q", out)
	}

	// Evidence export, opened by the upstream age tool with the exported identity.
	idOut, _, _ := runBin(t, "", "centrald", "--data", cdata, "identity", "export")
	idFile := filepath.Join(t.TempDir(), "identity.txt")
	os.WriteFile(idFile, []byte(idOut), 0o600)
	evDir := filepath.Join(t.TempDir(), "evidence")
	if out, e, code := runBin(t, "", "centrald", "--data", cdata, "evidence", "export", "--out", evDir); code != 0 || !strings.Contains(out, "exported 300") {
		t.Fatalf("evidence export: %q %s", out, e)
	}
	files, _ := filepath.Glob(filepath.Join(evDir, "*.age"))
	if len(files) != 300 {
		t.Fatalf("%d evidence files", len(files))
	}
	plain, err := exec.Command("age", "--decrypt", "-i", idFile, files[0]).Output()
	if err != nil {
		t.Fatalf("age --decrypt: %v (scripts/deps.sh installs the age package)", err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(plain)); err != nil || len(plain) < 14*1024 || len(plain) > 26*1024 {
		t.Fatalf("evidence is not a ~20 KB JPEG: %d bytes, %v", len(plain), err)
	}

	// SIGKILL the kiosk mid-sync, then sync again: exactly once.
	runBin(t, "", "kioskctl", "--data", kdata, "loadgen", "--records", "2000", "--evidence-kb", "20", "--seed", "2")
	k := exec.Command(filepath.Join(bin, "kioskctl"), "--data", kdata, "sync", "--batch", "50")
	k.Start()
	time.Sleep(400 * time.Millisecond)
	k.Process.Signal(syscall.SIGKILL)
	k.Wait()
	mid := stats(t, cdata).Records
	// SIGKILL centrald mid-ingest, restart it on the same data, sync again.
	k = exec.Command(filepath.Join(bin, "kioskctl"), "--data", kdata, "sync", "--batch", "50", "--retries", "0")
	k.Start()
	time.Sleep(300 * time.Millisecond)
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
	k.Wait()
	c2 := startCentral(t, cdata)
	if c2.url != c.url {
		// The kiosk knows the old port; tell it the new one as an operator would.
		sqlite := fmt.Sprintf("UPDATE setting SET value = '%s' WHERE key = 'central_url'", c2.url)
		if b, err := exec.Command("sqlite3", filepath.Join(kdata, "certkiosk.db"), sqlite).CombinedOutput(); err != nil {
			t.Fatalf("sqlite3: %v %s", err, b)
		}
	}
	out, e, code = runBin(t, "", "kioskctl", "--data", kdata, "sync", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Pending != 0 {
		t.Fatalf("sync after the kills: %d %q %s", code, out, e)
	}
	s := stats(t, cdata)
	if s.Records != 2300 || s.Evidence != 2300 || s.Conflicts != 0 {
		t.Fatalf("after the kills: %+v (had %d mid-way), want exactly 2300", s, mid)
	}
	if mid <= 300 || mid >= 2300 {
		t.Logf("note: the kiosk was killed with %d records on the central", mid)
	}
	out, _, _ = runBin(t, "", "kioskctl", "--data", kdata, "records", "list", "--state", "acked", "--json", "--limit", "5000")
	if n := strings.Count(out, "\n"); n != 2300 {
		t.Fatalf("%d records acked on the kiosk, want 2300", n)
	}
}

// Offline delivery between the real programs: export, import twice, receipt.
func TestProcessesOfflineBundle(t *testing.T) {
	buildBinaries(t)
	cdata, kdata := filepath.Join(t.TempDir(), "central"), filepath.Join(t.TempDir(), "kiosk")
	c := startCentral(t, cdata)
	out, _, _ := runBin(t, "", "centrald", "--data", cdata, "terminal", "add", "--id", "T-0002", "--name", "上门")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	runBin(t, "246810\n", "kioskctl", "--data", kdata, "init", "--load-test", "--admin", "A001")
	if _, e, code := runBin(t, "", "kioskctl", "--data", kdata, "enroll", "--central", c.url, "--token", lines[len(lines)-1], "--insecure-http"); code != 0 {
		t.Fatalf("enroll: %s", e)
	}
	c.cmd.Process.Kill() // the site has no network from here on
	c.cmd.Wait()
	runBin(t, "", "kioskctl", "--data", kdata, "loadgen", "--records", "25", "--evidence-kb", "5")
	bundle := filepath.Join(t.TempDir(), "usb", "t2.json")
	os.MkdirAll(filepath.Dir(bundle), 0o700)
	if out, e, code := runBin(t, "", "kioskctl", "--data", kdata, "export", "--out", bundle); code != 0 || !strings.Contains(out, "exported 25") {
		t.Fatalf("export: %q %s", out, e)
	}
	for i := 0; i < 2; i++ {
		out, e, code := runBin(t, "", "centrald", "--data", cdata, "import", bundle)
		if code != 0 {
			t.Fatalf("import %d: %s", i, e)
		}
		want := "25 accepted"
		if i == 1 {
			want = "25 duplicate"
		}
		if !strings.Contains(out, want) {
			t.Fatalf("import %d: %q, want %q", i, out, want)
		}
	}
	if s := stats(t, cdata); s.Records != 25 {
		t.Fatalf("stats after two imports: %+v", s)
	}
	receipt := strings.TrimSuffix(bundle, ".json") + ".receipt.json"
	if out, e, code := runBin(t, "", "kioskctl", "--data", kdata, "import-receipt", receipt); code != 0 || !strings.Contains(out, "25 record") {
		t.Fatalf("import-receipt: %q %s", out, e)
	}
	out, _, _ = runBin(t, "", "kioskctl", "--data", kdata, "records", "list", "--state", "acked", "--json")
	if n := strings.Count(out, "\n"); n != 25 {
		t.Fatalf("%d acked after the receipt, want 25", n)
	}
}
