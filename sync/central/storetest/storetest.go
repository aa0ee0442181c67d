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
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
	"certkiosk/sync/central"

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

	t.Run("enrollment", func(t *testing.T) {
		s := open(t)
		if err := s.AddTerminal(ctx, "T-0001", "东城一号", central.TokenHash("tok"), now.Add(24*time.Hour)); err != nil {
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
		if err := s.AddTerminal(ctx, "T-0001", "x", central.TokenHash("t2"), now.Add(time.Hour)); !errors.Is(err, central.ErrExists) {
			t.Fatalf("re-adding an enrolled terminal: %v", err)
		}
		if err := s.RevokeTerminal(ctx, "T-0001"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Terminal(ctx, "T-0001"); !got.Revoked {
			t.Fatal("revoke did not stick")
		}
		if err := s.RevokeTerminal(ctx, "T-9999"); !errors.Is(err, central.ErrNotFound) {
			t.Fatalf("revoke unknown: %v", err)
		}
		s.AddTerminal(ctx, "T-0003", "x", central.TokenHash("old"), now.Add(-time.Minute))
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
		rs, err := s.Receipt(ctx, recs[2].Receipt)
		if err != nil || rs.Verdict != "pass" || rs.RecordID != recs[2].ID || rs.Retiree != certkiosk.Mask(recs[2].RetireeID) {
			t.Fatalf("receipt after conflict: %+v %v (the stored record must not change)", rs, err)
		}
		if _, err := s.Receipt(ctx, "0000-0000-0"); !errors.Is(err, central.ErrNotFound) {
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
