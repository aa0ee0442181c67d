package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
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
)

const crashEnv = "CERTKIOSK_CRASH_CHILD_DIR"

// TestMain turns the test binary into TestCrashSafety's child when asked.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild saves certifications with evidence in a loop, printing each ID
// once its save has returned, until it is killed.
func crashChild(dir string) {
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(3)
	}
	roster, err := s.ListRetireeIDs(ctx, 50)
	if err != nil || len(roster) == 0 {
		fmt.Fprintln(os.Stderr, "child roster:", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		now := time.Now()
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: roster[i%len(roster)], StaffID: "A001",
			Method: certkiosk.MethodDigits, Challenge: "4821", Verdict: certkiosk.VerdictPass,
			Metrics: []byte(fmt.Sprintf(`{"i":%d}`, i)), Started: now.Add(-time.Second), Ended: now, Attempt: 1}
		if err := s.SaveCertification(ctx, "staff:A001", c, []Evidence{{Kind: EvidenceBestFrame, Data: jpegBytes(i)}}); err != nil {
			fmt.Fprintln(os.Stderr, "child save:", err)
			os.Exit(4)
		}
		fmt.Fprintf(os.Stdout, "%s %d\n", c.ID, i) // os.Stdout is unbuffered
		// Staff then correct the retiree's phone with them: the change
		// and the new phone are one transaction, queued once.
		ch, err := s.CheckContact(ctx, "A001", c.RetireeID, fmt.Sprintf("139%08d", i), "幸福路 1 号")
		if err != nil {
			fmt.Fprintln(os.Stderr, "child contact:", err)
			os.Exit(5)
		}
		fmt.Fprintf(os.Stdout, "%s %d contact\n", ch.ID, i)
	}
}

// TestCrashSafety kills a saving process with SIGKILL at random moments,
// 50 times, and checks after each that the database is intact, every save
// that returned is there with its evidence, and the audit chain holds.
func TestCrashSafety(t *testing.T) {
	f := newFixture(t)
	f.s.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewSource(42))
	saved := map[string]int{}    // ID → loop index, for every save that returned
	contacts := map[string]int{} // contact change ID → loop index, likewise
	const kills = 50
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), crashEnv+"="+f.dir)
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
		got := 0
		first := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var id string
				var i int
				if f := strings.Fields(sc.Text()); len(f) == 3 && f[2] == "contact" {
					if _, err := fmt.Sscanf(f[1], "%d", &i); err == nil {
						mu.Lock()
						contacts[f[0]] = i
						mu.Unlock()
					}
					continue
				}
				if _, err := fmt.Sscanf(sc.Text(), "%s %d", &id, &i); err == nil {
					mu.Lock()
					saved[id] = i
					got++
					if got == 1 {
						close(first)
					}
					mu.Unlock()
				}
			}
		}()
		select {
		case <-first:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("kill %d: child saved nothing in 30 s: %s", k, stderr.String())
		}
		time.Sleep(time.Duration(rng.Intn(60)) * time.Millisecond) // somewhere mid-save
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: child ended by itself (%v): %s", k, err, stderr.String())
		}
		checkAfterCrash(t, ctx, f, saved, k)
		checkContactsAfterCrash(t, ctx, f, contacts, k)
	}
	t.Logf("%d kills, %d saves and %d contact changes confirmed and found intact", kills, len(saved), len(contacts))
}

func checkAfterCrash(t *testing.T, ctx context.Context, f *fixture, saved map[string]int, k int) {
	t.Helper()
	s, err := Open(ctx, f.dir)
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", k, err)
	}
	defer s.Close()
	var ic string
	if err := s.SQL().QueryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("kill %d: integrity_check = %q, %v", k, ic, err)
	}
	for id, i := range saved {
		c, err := s.Certification(ctx, id)
		if err != nil {
			t.Fatalf("kill %d: confirmed save %s lost: %v", k, id, err)
		}
		if string(c.Metrics) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("kill %d: record %s metrics %s", k, id, c.Metrics)
		}
		ev, err := s.EvidenceOf(ctx, id)
		if err != nil || len(ev) != 1 || sha256Hex(ev[0].Ciphertext) != ev[0].SHA256 {
			t.Fatalf("kill %d: evidence of %s: %v %v", k, id, len(ev), err)
		}
	}
	// Spot-check that evidence still opens and is the JPEG it was.
	for id := range saved {
		ev, _ := s.EvidenceOf(ctx, id)
		if _, err := jpeg.Decode(bytes.NewReader(decrypt(t, f.identity, ev[0].Ciphertext))); err != nil {
			t.Fatalf("kill %d: evidence of %s is not a JPEG after decryption: %v", k, id, err)
		}
		break
	}
	rep, err := s.VerifyAudit(ctx)
	if err != nil || !rep.OK {
		t.Fatalf("kill %d: audit %+v %v", k, rep, err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, FileName)); err != nil {
		t.Fatal(err)
	}
}

// checkContactsAfterCrash: every contact change that returned is there,
// once, with its phone; and every retiree's phone is the one of their
// newest change (a change is never half applied).
func checkContactsAfterCrash(t *testing.T, ctx context.Context, f *fixture, contacts map[string]int, k int) {
	t.Helper()
	s, err := Open(ctx, f.dir)
	if err != nil {
		t.Fatalf("kill %d: reopen: %v", k, err)
	}
	defer s.Close()
	for id, i := range contacts {
		var phone string
		var n int
		if err := s.SQL().QueryRow(`SELECT count(*), coalesce(max(phone), '') FROM contact_change WHERE id = ?`, id).Scan(&n, &phone); err != nil {
			t.Fatal(err)
		}
		if n != 1 || phone != fmt.Sprintf("139%08d", i) {
			t.Fatalf("kill %d: confirmed contact change %s: %d rows, phone %q", k, id, n, phone)
		}
	}
	rows, err := s.SQL().Query(`SELECT r.id, r.phone, (SELECT c.phone FROM contact_change c WHERE c.retiree_id = r.id ORDER BY c.id DESC LIMIT 1)
		FROM retiree r WHERE EXISTS (SELECT 1 FROM contact_change c WHERE c.retiree_id = r.id)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, phone, newest string
		if err := rows.Scan(&id, &phone, &newest); err != nil {
			t.Fatal(err)
		}
		if phone != newest {
			t.Fatalf("kill %d: retiree %s has phone %q, its newest change says %q", k, certkiosk.ResidentID(id).Masked(), phone, newest)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
