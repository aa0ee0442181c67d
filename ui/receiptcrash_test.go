package ui

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/check"
	"certkiosk/store"

	"fyne.io/fyne/v2/test"
)

const receiptCrashEnv = "CERTKIOSK_RECEIPT_CRASH_DIR"

// receiptOptions are the kiosk's of the receipt crash test over the data
// in dir: demo data, pinned to testNow, receipts saved under dir/receipts,
// every check a pass.
func receiptOptions(dir string) Options {
	return Options{Demo: true, Now: func() time.Time { return testNow }, FrameSource: certkiosk.FrameCamera,
		ReceiptDir: filepath.Join(dir, "receipts"), Checker: station{updates: []check.Update{{Done: true, Result: passResult()}}}}
}

// receiptCrashChild is the kiosk at the counter, headless: retiree after
// retiree it certifies (a pass), prints the receipt several times (staff
// pressing 打印 again) and goes home, printing "saved ID RECEIPT" once a
// record is saved and "printed RECEIPT" once a print returned, until it is
// killed.
func receiptCrashChild(dir string) {
	ctx := context.Background()
	fail := func(code int, format string, args ...any) {
		fmt.Fprintf(os.Stderr, "child: "+format+"\n", args...)
		os.Exit(code)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		fail(3, "open: %v", err)
	}
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	db.SetClock(func() time.Time { return testNow })
	if err := UseLanguage("zh"); err != nil {
		fail(3, "language: %v", err)
	}
	a := test.NewApp()
	k := NewKiosk(a, db, receiptOptions(dir))
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	ids, err := db.ListRetireeIDs(ctx, 200)
	if err != nil || len(ids) == 0 {
		fail(3, "roster: %v", err)
	}
	var done int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM certification`).Scan(&done); err != nil {
		fail(3, "count: %v", err)
	}
	for i := done; ; i++ {
		k.Find(string(ids[i%len(ids)]))
		if k.Screen() != "retiree" {
			fail(4, "card of retiree %d: %s: %s", i, k.Screen(), screenText(k))
		}
		k.StartCertification(certkiosk.MethodBlink)
		k.follows.Wait()
		if k.Screen() != "pass" {
			fail(4, "check %d: %s: %s", i, k.Screen(), screenText(k))
		}
		var id, receipt string
		if err := db.SQL().QueryRow(`SELECT id, receipt FROM certification ORDER BY rowid DESC LIMIT 1`).Scan(&id, &receipt); err != nil {
			fail(4, "saved record: %v", err)
		}
		fmt.Printf("saved %s %s\n", id, receipt) // os.Stdout is unbuffered
		for j := 0; j < 5; j++ {
			if !k.Press("result.print") {
				fail(4, "no print button: %s", screenText(k))
			}
			fmt.Printf("printed %s\n", receipt)
		}
		if !k.Press("result.home") {
			fail(4, "no home button: %s", screenText(k))
		}
	}
}

// A power cut (kill -9) while a receipt prints (issue 26): the kiosk is
// killed 20 times while printing, half of them while a receipt file is
// being written, half at random moments. After each restart no
// half-written receipt is left, every receipt there is whole and belongs
// to one saved record, every record the child saw saved is there once
// (printing saves nothing more), and the outbox holds each record once.
func TestPowerCutWhileAReceiptPrints(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child kiosk 20 times")
	}
	ctx := context.Background()
	dir := t.TempDir()
	receipts := filepath.Join(dir, "receipts")
	db, err := store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	db.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	db.SetClock(func() time.Time { return testNow })
	if err := store.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rng := rand.New(rand.NewSource(26))
	saved := map[string]string{} // record ID → receipt code, for every save the child saw return
	printed := map[string]bool{} // receipt codes whose print returned
	const kills = 20
	cut := 0 // kills that left a receipt half written
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), receiptCrashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		newSaves := 0
		printing := make(chan struct{})
		var once sync.Once
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				mu.Lock()
				switch {
				case len(f) == 3 && f[0] == "saved":
					saved[f[1]] = f[2]
					newSaves++
				case len(f) == 2 && f[0] == "printed":
					printed[f[1]] = true
					once.Do(func() { close(printing) })
				}
				mu.Unlock()
			}
		}()
		select {
		case <-printing:
		case <-done:
			t.Fatalf("kill %d: the child ended before printing: %s", k, stderr.String())
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("kill %d: the child printed nothing in 60 s: %s", k, stderr.String())
		}
		if k%2 == 0 {
			// Half the kills at the moment a receipt file is being
			// written (it takes ~2 ms of a ~30 ms print, so a random
			// moment would seldom meet it): watch for writeWhole's
			// temporary file and kill as soon as it is there.
			deadline := time.Now().Add(30 * time.Second)
			for len(cutReceipts(t, receipts)) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("kill %d: no receipt being written in 30 s: %s", k, stderr.String())
				}
			}
		} else {
			time.Sleep(time.Duration(rng.Intn(80)) * time.Millisecond) // anywhere in printing
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		<-done
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: the child ended by itself (%v): %s", k, err, stderr.String())
		}
		if left := cutReceipts(t, receipts); len(left) > 0 {
			cut++
		}
		checkAfterReceiptCut(t, dir, saved, printed, k)
	}
	if cut == 0 {
		t.Fatalf("none of %d kills landed while a receipt was being written: the fault was never injected", kills)
	}
	t.Logf("%d kills (%d mid-write), %d records saved, %d receipts printed: none half there, none twice", kills, cut, len(saved), len(printed))
}

// cutReceipts lists writeWhole's temporary files in dir.
func cutReceipts(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), receiptTempPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

// checkAfterReceiptCut restarts the kiosk on the data a kill left and
// checks that nothing is half done and nothing is there twice.
func checkAfterReceiptCut(t *testing.T, dir string, saved map[string]string, printed map[string]bool, k int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", k, err)
	}
	defer db.Close()
	db.SetClock(func() time.Time { return testNow })
	a := test.NewTempApp(t)
	kiosk := NewKiosk(a, db, receiptOptions(dir)) // the restart
	defer kiosk.Window.Close()
	receipts := filepath.Join(dir, "receipts")
	if left := cutReceipts(t, receipts); len(left) > 0 {
		t.Fatalf("kill %d: half-written receipts after the restart: %v", k, left)
	}
	// Every record once; every receipt code on one record.
	var rows, ids, codes int
	if err := db.SQL().QueryRow(`SELECT count(*), count(DISTINCT id), count(DISTINCT receipt) FROM certification`).Scan(&rows, &ids, &codes); err != nil {
		t.Fatal(err)
	}
	if rows != ids || rows != codes {
		t.Fatalf("kill %d: %d records, %d IDs, %d receipt codes: something is there twice", k, rows, ids, codes)
	}
	// Printing saves nothing: the records are the checks the child saw
	// saved, and at most one more per kill (saved, killed before it said so).
	if rows < len(saved) || rows > len(saved)+k+1 {
		t.Fatalf("kill %d: %d records for %d saves seen", k, rows, len(saved))
	}
	for id, code := range saved {
		c, err := db.Certification(ctx, id)
		if err != nil || string(c.Receipt) != code || c.Verdict != certkiosk.VerdictPass {
			t.Fatalf("kill %d: saved record %s: %+v %v", k, id, c, err)
		}
	}
	// Every receipt there is whole and belongs to a saved record; every
	// print that returned left its receipt.
	entries, err := os.ReadDir(receipts)
	if err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	for _, e := range entries {
		code, ok := strings.CutSuffix(e.Name(), ".pdf")
		if !ok {
			t.Fatalf("kill %d: %s in the receipt directory", k, e.Name())
		}
		var n int
		if err := db.SQL().QueryRow(`SELECT count(*) FROM certification WHERE receipt = ?`, code).Scan(&n); err != nil || n != 1 {
			t.Fatalf("kill %d: receipt %s belongs to %d records (%v)", k, e.Name(), n, err)
		}
		b, err := os.ReadFile(filepath.Join(receipts, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
			t.Fatalf("kill %d: receipt %s is not a whole PDF (%d bytes)", k, e.Name(), len(b))
		}
	}
	for code := range printed {
		if _, err := os.Stat(filepath.Join(receipts, code+".pdf")); err != nil {
			t.Fatalf("kill %d: receipt %s printed but gone: %v", k, code, err)
		}
	}
	// Nothing to send twice: the outbox holds each record once.
	ob, err := db.Outbox(ctx, 100000, 1<<40)
	if err != nil {
		t.Fatalf("kill %d: outbox: %v", k, err)
	}
	seen := map[string]bool{}
	for _, o := range ob {
		if seen[o.ID] {
			t.Fatalf("kill %d: record %s twice in the outbox", k, o.ID)
		}
		seen[o.ID] = true
	}
	if len(ob) != rows {
		t.Fatalf("kill %d: outbox holds %d of %d records", k, len(ob), rows)
	}
	if rep, err := db.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("kill %d: audit %+v %v", k, rep, err)
	}
}
