package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"certkiosk/central"
	"certkiosk/sync"
)

// batchJudgement: a batch is stored with a few statements, but judged as if
// its records were stored one after the other — a record sees those before
// it in the same batch — and batches larger than one statement's chunk
// (an offline bundle's) come out the same.
func batchJudgement(t *testing.T, open func(t *testing.T) central.Storage) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := open(t)

	// Another terminal's record with the ID one of ours will carry.
	theirs := Record(t, "T-0002", 50)
	if res, err := s.Ingest(ctx, "T-0002", []sync.Record{theirs}, now); err != nil || res[0].Status != sync.StatusAccepted {
		t.Fatalf("T-0002: %+v %v", res, err)
	}
	a := Record(t, "T-0001", 1)
	changed := a
	changed.Verdict = "fail"
	sameReceipt := Record(t, "T-0001", 2)
	sameReceipt.Receipt = a.Receipt
	clash := Record(t, "T-0001", 3)
	clash.ID = theirs.ID
	two := Record(t, "T-0001", 4)
	two.Evidence = append(two.Evidence, Encrypt(t, []byte("clip 4")))
	two.Evidence[1].Kind = "clip"
	batch := []sync.Record{a, a, changed, sameReceipt, clash, two}
	want := []string{sync.StatusAccepted, sync.StatusDuplicate, sync.StatusConflict, sync.StatusInvalid,
		sync.StatusConflict, sync.StatusAccepted}
	res, err := s.Ingest(ctx, "T-0001", batch, now)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.ID != batch[i].ID || r.Status != want[i] {
			t.Fatalf("result %d: %+v, want %s", i, r, want[i])
		}
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Records != 3 || st.Duplicates != 1 || st.Conflicts != 2 || st.Evidence != 4 {
		t.Fatalf("stats %+v %v", st, err)
	}
	if rs, err := s.Receipt(ctx, "T-0001", a.Receipt); err != nil || rs.RecordID != a.ID || rs.Verdict != "pass" {
		t.Fatalf("receipt of the first record: %+v %v", rs, err)
	}

	// More records than one statement holds, with a repeat across chunks.
	var big []sync.Record
	for i := 0; i < 450; i++ {
		big = append(big, Record(t, "T-0003", 100+i))
	}
	late := big[10]
	late.Verdict = "fail"
	reused := Record(t, "T-0003", 999)
	reused.Receipt = big[20].Receipt
	big = append(big, big[5], late, reused)
	res, err = s.Ingest(ctx, "T-0003", big, now.Add(time.Hour)) // the records end up to 17 minutes after now
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range res {
		count[r.Status]++
	}
	if fmt.Sprint(count) != fmt.Sprint(map[string]int{sync.StatusAccepted: 450, sync.StatusDuplicate: 1,
		sync.StatusConflict: 1, sync.StatusInvalid: 1}) || res[450].Status != sync.StatusDuplicate ||
		res[451].Status != sync.StatusConflict || res[452].Status != sync.StatusInvalid {
		t.Fatalf("450 records and 3 repeats: %v", count)
	}
	n := 0
	err = s.EachEvidence(ctx, func(id, kind string, ct []byte) error {
		n++
		return nil
	})
	if err != nil || n != 4+450 {
		t.Fatalf("evidence: %d objects, %v", n, err)
	}
}
