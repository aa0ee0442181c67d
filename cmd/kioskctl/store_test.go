package main

import (
	"context"

	"certkiosk"
	"certkiosk/store"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// withStdin feeds lines to the PIN prompt as a pipe would.
func withStdin(t *testing.T, input string) {
	t.Helper()
	old, oldTerm := stdin, stdinIsTerminal
	stdin, stdinIsTerminal = strings.NewReader(input), func() bool { return false }
	t.Cleanup(func() { stdin, stdinIsTerminal = old, oldTerm })
}

func initData(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	withStdin(t, "246810\n")
	code, out, errOut := kioskctl(t, "--data", dir, "init", "--admin", "A001", "--name", "王站长")
	if code != 0 || !strings.Contains(out, "AGE-SECRET-KEY-") {
		t.Fatalf("init: %d %q %q", code, out, errOut)
	}
	return dir
}

func TestInitOnceAndStaff(t *testing.T) {
	dir := initData(t)
	withStdin(t, "246810\n")
	if code, _, errOut := kioskctl(t, "--data", dir, "init", "--admin", "A002"); code != 1 || !strings.Contains(errOut, "已初始化") {
		t.Fatalf("second init: %d %q", code, errOut)
	}
	withStdin(t, "135790\n")
	if code, out, errOut := kioskctl(t, "--data", dir, "staff", "add", "--id", "B001", "--name", "李", "--role", "operator"); code != 0 {
		t.Fatalf("staff add: %d %q %q", code, out, errOut)
	}
	withStdin(t, "123\n")
	if code, _, errOut := kioskctl(t, "--data", dir, "staff", "add", "--id", "B002"); code != 1 || !strings.Contains(errOut, "至少") {
		t.Fatalf("short PIN: %d %q", code, errOut)
	}
	withStdin(t, "975310\n")
	if code, _, errOut := kioskctl(t, "--data", dir, "staff", "passwd", "--id", "B001"); code != 0 {
		t.Fatalf("passwd: %d %q", code, errOut)
	}
	code, out, _ := kioskctl(t, "--data", dir, "staff", "list")
	if code != 0 || !strings.Contains(out, "A001") || !strings.Contains(out, "admin") || !strings.Contains(out, "B001") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, errOut := kioskctl(t, "--data", filepath.Join(dir, "nope"), "staff", "list"); code != 1 || !strings.Contains(errOut, "init") {
		t.Fatalf("missing data dir: %d %q", code, errOut)
	}
}

func TestRosterImportAndFind(t *testing.T) {
	dir := initData(t)
	csv := "身份证号,姓名,性别,出生日期,待遇类别,上次认证日期\n" +
		"11010519491231002X,王秀英,女,1949-12-31,企业职工基本养老保险,2025-12-01\n" +
		"310104195507311235,李建国,男,1955-07-31,机关事业单位养老保险,\n"
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(csv)
	file := filepath.Join(t.TempDir(), "roster.csv")
	os.WriteFile(file, []byte(gbk), 0o600)
	code, out, errOut := kioskctl(t, "--data", dir, "roster", "import", file)
	if code != 0 || !strings.Contains(out, "2 added") || !strings.Contains(out, "gbk") {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	code, out, _ = kioskctl(t, "--data", dir, "roster", "import", file, "--encoding", "gbk")
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Fatalf("re-import: %d %q", code, out)
	}
	code, out, _ = kioskctl(t, "--data", dir, "roster", "find", "11010519491231002x")
	if code != 0 || !strings.Contains(out, "王秀英") || !strings.Contains(out, "110105********002X") || strings.Contains(out, "11010519491231002X") {
		t.Fatalf("find: %d %q", code, out)
	}
	if code, _, errOut := kioskctl(t, "--data", dir, "roster", "find", "440524195001010014"); code != 1 || errOut == "" {
		t.Fatalf("find missing: %d %q", code, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte(csv+"110105194912310021,赵六,女,1949-12-31,,\n"), 0o600)
	code, _, errOut = kioskctl(t, "--data", dir, "roster", "import", bad)
	if code != 1 || !strings.Contains(errOut, "第 4 行") || !strings.Contains(errOut, "校验位") {
		t.Fatalf("bad import: %d %q", code, errOut)
	}
	code, out, _ = kioskctl(t, "--data", dir, "records", "list", "--state", "pending", "--json")
	if code != 0 || out != "" {
		t.Fatalf("records on a fresh terminal: %d %q", code, out)
	}
	if code, _, _ := kioskctl(t, "--data", dir, "records", "list", "--state", "done"); code != 1 {
		t.Fatalf("bad state accepted")
	}
}

// The supervisor's check: tampering with the sqlite3 shell is named.
func TestAuditVerifyAfterTampering(t *testing.T) {
	dir := initData(t)
	code, out, _ := kioskctl(t, "--data", dir, "audit", "verify")
	if code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("verify fresh: %d %q", code, out)
	}
	db := filepath.Join(dir, "certkiosk.db")
	sql := `DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'someone' WHERE seq = 2;`
	if b, err := exec.Command("sqlite3", db, sql).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3: %v %s", err, b)
	}
	code, _, errOut := kioskctl(t, "--data", dir, "audit", "verify")
	if code != 1 || !strings.Contains(errOut, "第 2 条") || !strings.Contains(errOut, "entry 2") {
		t.Fatalf("verify tampered: %d %q", code, errOut)
	}
}

func TestPurgeEvidenceCommand(t *testing.T) {
	dir := initData(t)
	code, out, errOut := kioskctl(t, "--data", dir, "records", "purge-evidence")
	if code != 0 || !strings.Contains(out, "purged evidence of 0") {
		t.Fatalf("purge: %d %q %q", code, out, errOut)
	}
}

func TestReceiptVerify(t *testing.T) {
	dir := initData(t)
	db, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := db.TerminalKey(context.Background())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	tok := certkiosk.ReceiptToken{Receipt: certkiosk.NewReceiptCode(), Terminal: "UNENROLLED",
		Retiree: certkiosk.Mask("11010519491231002X"), Date: "2026-11-27", Verdict: certkiosk.VerdictPass}.Sign(key)
	code, out, errOut := kioskctl(t, "--data", dir, "receipt", "verify", tok)
	if code != 0 || !strings.HasPrefix(out, "OK receipt") || !strings.Contains(out, "110105********002X") {
		t.Fatalf("verify: %d %q %q", code, out, errOut)
	}
	bad := tok[:len(tok)-4] + "AAAA"
	if code, _, errOut := kioskctl(t, "--data", dir, "receipt", "verify", bad); code != 1 || !strings.Contains(errOut, "签名") {
		t.Fatalf("tampered: %d %q", code, errOut)
	}
}
