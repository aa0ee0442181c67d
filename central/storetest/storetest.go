// Package storetest is the test suite every central.Storage must pass;
// the SQLite and PostgreSQL storages run the same one.
package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	ksync "certkiosk/sync"

	"filippo.io/age"
	"github.com/google/uuid"
)

// Record makes a valid record of terminal with evidence encrypted to a
// fresh recipient.
func Record(t testing.TB, terminal string, i int) ksync.Record {
	t.Helper()
	id, _ := uuid.NewV7()
	rid, err := certkiosk.CompleteResidentID(fmt.Sprintf("110105195%d0101%03d", i%10, i%1000))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	r := ksync.Record{ID: id.String(), RetireeID: string(rid), StaffID: "A001", Terminal: terminal,
		Method: "blink", Verdict: "pass", Metrics: json.RawMessage(`{"blinks":2}`), Started: now.Add(-10 * time.Second),
		Ended: now, Attempt: 1, Receipt: string(certkiosk.NewReceiptCode())}
	r.Evidence = []ksync.Evidence{Encrypt(t, []byte(fmt.Sprintf("frame %d", i)))}
	return r
}

var (
	recOnce gosync.Once
	rec     *age.X25519Recipient
)

// Encrypt makes an evidence object as a kiosk would.
func Encrypt(t testing.TB, plain []byte) ksync.Evidence {
	recOnce.Do(func() {
		id, _ := age.GenerateX25519Identity()
		rec = id.Recipient()
	})
	var b bytesBuffer
	w, err := age.Encrypt(&b, rec)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	return ksync.Evidence{Kind: "best_frame", SHA256: sha(b.b), Ciphertext: b.b}
}

// Run runs the suite; open returns a fresh, empty storage.
func Run(t *testing.T, open func(t *testing.T) central.Storage) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)

	t.Run("contacts", func(t *testing.T) { contacts(t, open) })
	t.Run("batch judged record by record", func(t *testing.T) { batchJudgement(t, open) })
	t.Run("enrollment", func(t *testing.T) {
		s := open(t)
		if err := s.AddTerminal(ctx, "T-0001", "东城一号", central.TokenHash("tok"), now, now.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Terminal(ctx, "T-0002"); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("unknown terminal: %v", err)
		}
		if _, err := s.Enroll(ctx, central.TokenHash("wrong"), pub, now); !errors.Is(err, central.ErrBadToken) {
			t.Fatalf("wrong token: %v", err)
		}
		term, err := s.Enroll(ctx, central.TokenHash("tok"), pub, now)
		if err != nil || term.ID != "T-0001" || term.Name != "东城一号" {
			t.Fatalf("enroll: %+v %v", term, err)
		}
		if _, err := s.Enroll(ctx, central.TokenHash("tok"), pub, now); !errors.Is(err, central.ErrBadToken) {
			t.Fatalf("token used twice: %v", err)
		}
		got, err := s.Terminal(ctx, "T-0001")
		if err != nil || !got.PublicKey.Equal(pub) || got.Revoked {
			t.Fatalf("terminal: %+v %v", got, err)
		}
		if err := s.AddTerminal(ctx, "T-0001", "x", central.TokenHash("t2"), now, now.Add(time.Hour)); !errors.Is(err, central.ErrExists) {
			t.Fatalf("re-adding an enrolled terminal: %v", err)
		}
		// Re-enrollment (after a key rotation): a new one-time token for
		// the enrolled terminal; enrolling with it may bind a new key.
		if err := s.ReenrollToken(ctx, "T-0009", central.TokenHash("r0"), now.Add(time.Hour)); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("reenroll unknown: %v", err)
		}
		if err := s.ReenrollToken(ctx, "T-0001", central.TokenHash("r1"), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		pub2, _, _ := ed25519.GenerateKey(rand.Reader)
		if term, err := s.Enroll(ctx, central.TokenHash("r1"), pub2, now); err != nil || term.ID != "T-0001" {
			t.Fatalf("re-enroll: %+v %v", term, err)
		}
		if got, _ := s.Terminal(ctx, "T-0001"); !got.PublicKey.Equal(pub2) {
			t.Fatal("re-enrollment did not bind the new key")
		}
		if _, err := s.Enroll(ctx, central.TokenHash("r1"), pub, now); !errors.Is(err, central.ErrBadToken) {
			t.Fatalf("re-enrollment token used twice: %v", err)
		}
		if err := s.RevokeTerminal(ctx, "T-0001"); err != nil {
			t.Fatal(err)
		}
		if err := s.ReenrollToken(ctx, "T-0001", central.TokenHash("r2"), now.Add(time.Hour)); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("reenroll a revoked terminal: %v", err)
		}
		if got, _ := s.Terminal(ctx, "T-0001"); !got.Revoked {
			t.Fatal("revoke did not stick")
		}
		if err := s.RevokeTerminal(ctx, "T-9999"); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		s.AddTerminal(ctx, "T-0003", "x", central.TokenHash("old"), now, now.Add(-time.Minute))
		if _, err := s.Enroll(ctx, central.TokenHash("old"), pub, now); !errors.Is(err, central.ErrBadToken) {
			t.Fatalf("expired token: %v", err)
		}
	})

	t.Run("nonces", func(t *testing.T) {
		s := open(t)
		if err := s.UseNonce(ctx, "T-0001", "n1", now); err != nil {
			t.Fatal(err)
		}
		if err := s.UseNonce(ctx, "T-0001", "n1", now); !errors.Is(err, central.ErrNonceReuse) {
			t.Fatalf("reuse: %v", err)
		}
		if err := s.UseNonce(ctx, "T-0002", "n1", now); err != nil {
			t.Fatalf("same nonce, other terminal: %v", err)
		}
	})

	t.Run("idempotent ingest", func(t *testing.T) {
		s := open(t)
		var recs []ksync.Record
		for i := 0; i < 5; i++ {
			recs = append(recs, Record(t, "T-0001", i))
		}
		bad := Record(t, "T-0001", 9)
		bad.Evidence[0].SHA256 = "00"
		other := Record(t, "T-0002", 10) // not this terminal's
		res, err := s.Ingest(ctx, "T-0001", append(append([]ksync.Record{}, recs...), bad, other), now)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"accepted", "accepted", "accepted", "accepted", "accepted", "invalid", "invalid"}
		for i, r := range res {
			if r.Status != want[i] {
				t.Fatalf("result %d: %+v, want %s", i, r, want[i])
			}
		}
		// The same again: duplicates; one changed: conflict, never overwritten.
		changed := recs[2]
		changed.Verdict = "fail"
		res, err = s.Ingest(ctx, "T-0001", []ksync.Record{recs[0], recs[1], changed}, now)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != "duplicate" || res[1].Status != "duplicate" || res[2].Status != "conflict" {
			t.Fatalf("resend: %+v", res)
		}
		st, err := s.Stats(ctx)
		if err != nil || st.Records != 5 || st.Duplicates != 2 || st.Conflicts != 1 || st.Evidence != 5 {
			t.Fatalf("stats %+v %v", st, err)
		}
		rs, err := s.Receipt(ctx, "T-0001", recs[2].Receipt)
		if err != nil || rs.Verdict != "pass" || rs.RecordID != recs[2].ID || rs.Retiree != certkiosk.Mask(recs[2].RetireeID) {
			t.Fatalf("receipt after conflict: %+v %v (the stored record must not change)", rs, err)
		}
		if _, err := s.Receipt(ctx, "T-0001", "0000-0000-0"); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("unknown receipt: %v", err)
		}
		n := 0
		err = s.EachEvidence(ctx, func(id, kind string, ct []byte) error {
			n++
			if string(ct[:20]) != "age-encryption.org/v" {
				t.Errorf("evidence of %s is not the age file", id)
			}
			return nil
		})
		if err != nil || n != 5 {
			t.Fatalf("evidence: %d %v", n, err)
		}
	})

	t.Run("roster versions", func(t *testing.T) {
		s := open(t)
		e := func(id, name string) ksync.RosterEntry {
			return ksync.RosterEntry{ID: id, Name: name, Birth: "1950-01-01", Category: "企业职工基本养老保险"}
		}
		v, ch, del, err := s.PutRoster(ctx, []ksync.RosterEntry{e("A", "王一"), e("B", "李二"), e("C", "张三")})
		if err != nil || v != 1 || ch != 3 || del != 0 {
			t.Fatalf("first import: v%d %d changed %d deleted %v", v, ch, del, err)
		}
		if v, ch, del, _ = s.PutRoster(ctx, []ksync.RosterEntry{e("C", "张三"), e("A", "王一"), e("B", "李二")}); v != 1 || ch != 0 || del != 0 {
			t.Fatalf("identical re-import made v%d (%d changed, %d deleted)", v, ch, del)
		}
		if v, ch, del, _ = s.PutRoster(ctx, []ksync.RosterEntry{e("A", "王一"), e("B", "李贰"), e("D", "赵四")}); v != 2 || ch != 2 || del != 1 {
			t.Fatalf("second import: v%d %d changed %d deleted", v, ch, del)
		}
		u, err := s.RosterSince(ctx, 1)
		if err != nil || u.Full || u.Version != 2 || len(u.Retirees) != 2 || u.Retirees[0].Name != "李贰" ||
			u.Retirees[1].ID != "D" || len(u.Deleted) != 1 || u.Deleted[0] != "C" {
			t.Fatalf("delta since 1: %+v %v", u, err)
		}
		if u, _ = s.RosterSince(ctx, 2); u.Full || len(u.Retirees)+len(u.Deleted) != 0 {
			t.Fatalf("delta since the current version: %+v", u)
		}
		for _, since := range []int64{0, 99} {
			u, _ = s.RosterSince(ctx, since)
			if !u.Full || u.Version != 2 || len(u.Retirees) != 3 || len(u.Deleted) != 0 {
				t.Fatalf("snapshot for since=%d: %+v", since, u)
			}
		}
		// A deleted retiree who comes back is a change.
		if v, ch, _, _ = s.PutRoster(ctx, []ksync.RosterEntry{e("A", "王一"), e("B", "李贰"), e("D", "赵四"), e("C", "张三")}); v != 3 || ch != 1 {
			t.Fatalf("restore: v%d %d changed", v, ch)
		}
	})

	t.Run("F1 hostile IDs and evidence kinds are invalid", func(t *testing.T) {
		s := open(t)
		base := Record(t, "T-0001", 1)
		mk := func(f func(*ksync.Record)) ksync.Record {
			r := base
			r.Evidence = append([]ksync.Evidence(nil), base.Evidence...)
			id, _ := uuid.NewV7()
			r.ID, r.Receipt = id.String(), string(certkiosk.NewReceiptCode())
			f(&r)
			return r
		}
		id, _ := uuid.NewV7()
		cases := map[string]ksync.Record{
			"slashes around the ID":   mk(func(r *ksync.Record) { r.ID = "/" + id.String() + "/" }),
			"braces":                  mk(func(r *ksync.Record) { r.ID = "{" + id.String() + "}" }),
			"urn":                     mk(func(r *ksync.Record) { r.ID = "urn:uuid:" + id.String() }),
			"upper case":              mk(func(r *ksync.Record) { r.ID = strings.ToUpper(id.String()) }),
			"no hyphens":              mk(func(r *ksync.Record) { r.ID = strings.ReplaceAll(id.String(), "-", "") }),
			"kind with a path":        mk(func(r *ksync.Record) { r.Evidence[0].Kind = "../../../tmp/x" }),
			"kind naming another":     mk(func(r *ksync.Record) { r.Evidence[0].Kind = "x/../best_frame" }),
			"unknown kind":            mk(func(r *ksync.Record) { r.Evidence[0].Kind = "portrait" }),
			"the same kind twice":     mk(func(r *ksync.Record) { r.Evidence = append(r.Evidence, r.Evidence[0]) }),
			"non-canonical receipt":   mk(func(r *ksync.Record) { r.Receipt = strings.ToLower(r.Receipt) }),
			"file frames, not a test": mk(func(r *ksync.Record) { r.FrameSource = ksync.FrameFile }),
			"demo frames, not a test": mk(func(r *ksync.Record) { r.FrameSource = ksync.FrameDemo }),
			"a pass without frames":   mk(func(r *ksync.Record) { r.FrameSource = ksync.FrameNone }),
			"unknown frame source":    mk(func(r *ksync.Record) { r.FrameSource = "screen" }),
		}
		for name, r := range cases {
			res, err := s.Ingest(ctx, "T-0001", []ksync.Record{r}, now)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res[0].Status != ksync.StatusInvalid {
				t.Errorf("%s: %+v, want invalid", name, res[0])
			}
		}
		if st, _ := s.Stats(ctx); st.Records != 0 || st.Evidence != 0 {
			t.Fatalf("hostile records stored: %+v", st)
		}
	})

	t.Run("F4 frame source: camera stored, others held for review", func(t *testing.T) {
		s := open(t)
		cam := Record(t, "T-0001", 1)
		cam.FrameSource = ksync.FrameCamera
		legacy := Record(t, "T-0001", 2) // no frame source: saved before the field
		loadtest := Record(t, "T-0001", 3)
		loadtest.FrameSource, loadtest.Synthetic = ksync.FrameFile, true
		review := Record(t, "T-0001", 4)
		review.FrameSource, review.Verdict, review.Evidence = ksync.FrameNone, "manual_review", nil
		res, err := s.Ingest(ctx, "T-0001", []ksync.Record{cam, legacy, loadtest, review}, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Status != ksync.StatusAccepted {
				t.Fatalf("record %d: %+v", i, r)
			}
		}
		want := map[string]bool{cam.Receipt: false, legacy.Receipt: true, loadtest.Receipt: true, review.Receipt: false}
		for code, flagged := range want {
			rs, err := s.Receipt(ctx, "T-0001", code)
			if err != nil || rs.Review != flagged {
				t.Errorf("receipt %s: %+v %v, want review=%v", code, rs, err, flagged)
			}
		}
		if rs, _ := s.Receipt(ctx, "T-0001", cam.Receipt); rs.FrameSource != ksync.FrameCamera {
			t.Errorf("frame source not kept: %+v", rs)
		}
		if st, _ := s.Stats(ctx); st.Flagged != 2 {
			t.Fatalf("flagged %d, want 2", st.Flagged)
		}
	})

	t.Run("F5 receipts answer only for their own terminal", func(t *testing.T) {
		s := open(t)
		genuine := Record(t, "T-0001", 1)
		thief := Record(t, "T-0666", 2)
		thief.Receipt, thief.Verdict = genuine.Receipt, "fail"
		if res, err := s.Ingest(ctx, "T-0666", []ksync.Record{thief}, now); err != nil || res[0].Status != ksync.StatusAccepted {
			t.Fatalf("thief's upload: %+v %v", res, err)
		}
		if _, err := s.Receipt(ctx, "T-0001", genuine.Receipt); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("lookup for T-0001 before its record arrived answered %v, want not found", err)
		}
		if res, err := s.Ingest(ctx, "T-0001", []ksync.Record{genuine}, now); err != nil || res[0].Status != ksync.StatusAccepted {
			t.Fatalf("genuine upload: %+v %v", res, err)
		}
		rs, err := s.Receipt(ctx, "T-0001", genuine.Receipt)
		if err != nil || rs.RecordID != genuine.ID || rs.Terminal != "T-0001" || rs.Verdict != "pass" {
			t.Fatalf("lookup for T-0001: %+v %v", rs, err)
		}
		// A terminal cannot give one code to two records.
		again := Record(t, "T-0001", 3)
		again.Receipt = genuine.Receipt
		if res, _ := s.Ingest(ctx, "T-0001", []ksync.Record{again}, now); res[0].Status != ksync.StatusInvalid {
			t.Fatalf("second record with the same code: %+v", res[0])
		}
		if rs, _ := s.Receipt(ctx, "T-0001", genuine.Receipt); rs.RecordID != genuine.ID {
			t.Fatalf("lookup moved to %s", rs.RecordID)
		}
	})

	t.Run("F7 audit heads", func(t *testing.T) {
		s := open(t)
		h := func(seq int64, c byte) string { return strings.Repeat(string(c), 64) }
		a, err := s.RecordAuditHead(ctx, "T-0001", ksync.AuditHead{Seq: 10, Hash: h(10, 'a')}, now)
		if err != nil || a.Status != ksync.AuditOK || a.Seq != 10 {
			t.Fatalf("first head: %+v %v", a, err)
		}
		good := ksync.AuditHead{Seq: 20, Hash: h(20, 'b'), Anchors: []ksync.AuditAnchor{{Seq: 10, Hash: h(10, 'a')}}}
		if a, _ = s.RecordAuditHead(ctx, "T-0001", good, now); a.Status != ksync.AuditOK || a.Seq != 20 {
			t.Fatalf("extending head: %+v", a)
		}
		for name, bad := range map[string]ksync.AuditHead{
			"rewritten":        {Seq: 30, Hash: h(30, 'c'), Anchors: []ksync.AuditAnchor{{Seq: 20, Hash: h(20, 'x')}}},
			"rolled back":      {Seq: 15, Hash: h(15, 'd'), Anchors: []ksync.AuditAnchor{{Seq: 10, Hash: h(10, 'a')}}},
			"old anchor only":  {Seq: 30, Hash: h(30, 'c'), Anchors: []ksync.AuditAnchor{{Seq: 10, Hash: h(10, 'a')}}},
			"same seq, edited": {Seq: 20, Hash: h(20, 'e')},
			"malformed":        {Seq: 30, Hash: "nothex"},
		} {
			a, err := s.RecordAuditHead(ctx, "T-0001", bad, now)
			if err != nil || a.Status != ksync.AuditMismatch || a.Seq != 20 || a.Detail == "" {
				t.Errorf("%s: %+v %v, want a mismatch keeping head 20", name, a, err)
			}
		}
		seq, hash, alarms, err := s.AuditState(ctx, "T-0001")
		if err != nil || seq != 20 || hash != h(20, 'b') || len(alarms) != 5 {
			t.Fatalf("audit state: %d %s %d alarms %v", seq, hash, len(alarms), err)
		}
		if st, _ := s.Stats(ctx); st.AuditAlarms != 5 {
			t.Fatalf("stats count %d alarms", st.AuditAlarms)
		}
		if seq, _, alarms, _ := s.AuditState(ctx, "T-0002"); seq != 0 || len(alarms) != 0 {
			t.Fatalf("other terminal: %d %d", seq, len(alarms))
		}
	})

	t.Run("concurrent duplicate deliveries", func(t *testing.T) {
		s := open(t)
		var recs []ksync.Record
		for i := 0; i < 20; i++ {
			recs = append(recs, Record(t, "T-0001", i))
		}
		var wg gosync.WaitGroup
		errs := make(chan error, 4)
		for k := 0; k < 4; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Ingest(ctx, "T-0001", recs, now); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		st, _ := s.Stats(ctx)
		if st.Records != 20 || st.Duplicates != 60 || st.Conflicts != 0 {
			t.Fatalf("after 4 concurrent deliveries of 20: %+v", st)
		}
	})
}
