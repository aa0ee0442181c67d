package store

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"

	"filippo.io/age"
)

func decrypt(t *testing.T, identity string, ct []byte) []byte {
	t.Helper()
	id, err := age.ParseX25519Identity(identity)
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		t.Fatalf("decrypt evidence: %v", err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSaveCertificationWithEncryptedEvidence(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	frame := testJPEG(t, 1)
	c := f.cert(0, certkiosk.VerdictPass)
	if err := s.SaveCertification(ctx, "staff:A001", c, []Evidence{{Kind: EvidenceBestFrame, Data: frame}}); err != nil {
		t.Fatal(err)
	}
	if len(c.ID) != 36 || c.ID[14] != '7' || c.Sync != certkiosk.SyncPending || c.Terminal != "UNENROLLED" {
		t.Fatalf("filled-in fields: %+v", c)
	}
	if _, err := certkiosk.ParseReceiptCode(string(c.Receipt)); err != nil {
		t.Fatalf("receipt %q: %v", c.Receipt, err)
	}
	got, err := s.Certification(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != c.Verdict || got.RetireeID != c.RetireeID || string(got.Metrics) != string(c.Metrics) ||
		!got.Ended.Equal(c.Ended) || got.Receipt != c.Receipt {
		t.Fatalf("read back %+v, saved %+v", got, c)
	}
	ev, err := s.EvidenceOf(ctx, c.ID)
	if err != nil || len(ev) != 1 {
		t.Fatalf("evidence: %v %v", ev, err)
	}
	if bytes.Contains(ev[0].Ciphertext, frame[:64]) {
		t.Fatal("ciphertext contains the JPEG")
	}
	if plain := decrypt(t, f.identity, ev[0].Ciphertext); !bytes.Equal(plain, frame) {
		t.Fatal("decrypted evidence differs from the frame")
	}
	if ev[0].SHA256 != sha256Hex(ev[0].Ciphertext) {
		t.Fatal("sha256 does not match the ciphertext")
	}
	r, _ := s.FindRetiree(ctx, c.RetireeID)
	if r.LastCert != certkiosk.DateOf(c.Ended.In(certkiosk.China)) {
		t.Fatalf("last certification %s, want %s", r.LastCert, certkiosk.DateOf(c.Ended))
	}
}

func TestFailDoesNotMoveLastCertification(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before, _ := f.s.FindRetiree(ctx, f.roster[1].ID)
	c := f.cert(1, certkiosk.VerdictFail)
	c.Reason = "no_blink"
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := f.s.FindRetiree(ctx, f.roster[1].ID)
	if after.LastCert != before.LastCert {
		t.Fatalf("a failed attempt moved last certification from %s to %s", before.LastCert, after.LastCert)
	}
}

func TestSaveCertificationRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.cert(0, certkiosk.VerdictPass)
	c.RetireeID = "11010519491231002X" // not on the roster
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("unknown retiree: %v", err)
	}
	c = f.cert(0, "maybe")
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("bad verdict: %v", err)
	}
	// No evidence key yet: refused, not stored in the clear.
	s2, _ := openTemp(t)
	s2.KDF = fastKDF
	s2.PutRetirees(ctx, f.roster[:1], true)
	s2.AddStaff(ctx, "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleOperator}, "246810")
	err := s2.SaveCertification(ctx, "staff:A001", f.cert(0, certkiosk.VerdictPass), []Evidence{{Kind: EvidenceBestFrame, Data: testJPEG(t, 2)}})
	if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE {
		t.Fatalf("no recipient: %v", err)
	}
	if n, _ := s2.CountByState(ctx); n[certkiosk.SyncPending] != 0 {
		t.Fatal("a record was stored without its evidence")
	}
}

func TestSyncStatesAndEvidenceRetention(t *testing.T) {
	f := newFixture(t)
	s, ctx := f.s, context.Background()
	var ids []string
	for i := 0; i < 5; i++ {
		c := f.cert(i, certkiosk.VerdictPass)
		if err := s.SaveCertification(ctx, "staff:A001", c, []Evidence{{Kind: EvidenceBestFrame, Data: testJPEG(t, i)}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		f.clock = f.clock.Add(time.Minute)
	}
	if err := s.MarkSent(ctx, "sync", ids[:3]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAcked(ctx, "sync", ids[:2]); err != nil {
		t.Fatal(err)
	}
	counts, _ := s.CountByState(ctx)
	if counts[certkiosk.SyncPending] != 2 || counts[certkiosk.SyncSent] != 1 || counts[certkiosk.SyncAcked] != 2 {
		t.Fatalf("counts %v", counts)
	}
	pending, _ := s.ListCertifications(ctx, CertFilter{State: certkiosk.SyncPending})
	if len(pending) != 2 || pending[0].ID != ids[4] {
		t.Fatalf("pending list %v", pending)
	}
	// Not yet past retention: nothing purged.
	f.clock = f.clock.Add(29 * 24 * time.Hour)
	if n, err := s.PurgeEvidence(ctx, "kioskctl"); err != nil || n != 0 {
		t.Fatalf("purge at 29 days: %d %v", n, err)
	}
	f.clock = f.clock.Add(2 * 24 * time.Hour)
	if n, err := s.PurgeEvidence(ctx, "kioskctl"); err != nil || n != 2 {
		t.Fatalf("purge at 31 days: %d %v, want 2", n, err)
	}
	for i, id := range ids {
		ev, _ := s.EvidenceOf(ctx, id)
		if (i < 2) != (len(ev) == 0) {
			t.Errorf("record %d: %d evidence left", i, len(ev))
		}
	}
	if err := s.SetSetting(ctx, "admin", SetRetentionDays, "0"); err != nil {
		t.Fatal(err)
	}
	s.MarkAcked(ctx, "sync", ids[2:3])
	f.clock = f.clock.Add(time.Second)
	if n, _ := s.PurgeEvidence(ctx, "kioskctl"); n != 1 {
		t.Fatalf("purge with 0-day retention: %d, want 1", n)
	}
}

// After saves, no file in the data directory holds a face image in the
// clear: no JPEG or PNG signature, no run of the frames' bytes.
func TestNoPlaintextFacesOnDisk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var frames [][]byte
	for i := 0; i < 20; i++ {
		fr := testJPEG(t, i)
		frames = append(frames, fr)
		if err := f.s.SaveCertification(ctx, "staff:A001", f.cert(i, certkiosk.VerdictPass), []Evidence{{Kind: EvidenceBestFrame, Data: fr}}); err != nil {
			t.Fatal(err)
		}
	}
	scanned := 0
	filepath.Walk(f.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scanned += len(b)
		for _, sig := range [][]byte{{0xFF, 0xD8, 0xFF, 0xDB}, {0xFF, 0xD8, 0xFF, 0xE0}, {0xFF, 0xD8, 0xFF, 0xE1}, []byte("\x89PNG\r\n\x1a\n"), []byte("JFIF")} {
			if bytes.Contains(b, sig) {
				t.Errorf("%s contains image signature %q", filepath.Base(path), sig)
			}
		}
		for i, fr := range frames {
			if bytes.Contains(b, fr[200:232]) {
				t.Errorf("%s contains bytes of frame %d", filepath.Base(path), i)
			}
		}
		return nil
	})
	if scanned < 20*1000 {
		t.Fatalf("scanned only %d bytes: the evidence is not where the test looks", scanned)
	}
	if !strings.HasPrefix(f.identity, "AGE-SECRET-KEY-") {
		t.Fatal("no identity")
	}
	// The identity handed out is not kept anywhere in the data directory.
	filepath.Walk(f.dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte(f.identity[15:40])) {
				t.Errorf("%s contains the evidence identity", path)
			}
		}
		return nil
	})
}
