package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	ksync "certkiosk/sync"

	"github.com/google/uuid"
)

// contacts checks central.ContactStorage: changes stored once, conflicts
// kept out, invalid ones refused, and the newest change per retiree held
// whatever order terminals deliver them in.
func contacts(t *testing.T, open func(t *testing.T) central.Storage) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	st := open(t)
	s, ok := st.(central.ContactStorage)
	if !ok {
		t.Fatalf("%T does not keep contact details", st)
	}
	rid, err := certkiosk.CompleteResidentID("11010519490101002")
	if err != nil {
		t.Fatal(err)
	}
	id := func() string { u, _ := uuid.NewV7(); return u.String() }
	newer := ksync.ContactChange{ID: id(), RetireeID: string(rid), StaffID: "A001", Kind: ksync.ContactCorrected,
		Phone: "13812345678", Address: "北京市东城区和平里 1 号", At: now.Add(-time.Hour)}
	older := ksync.ContactChange{ID: id(), RetireeID: string(rid), StaffID: "B002", Kind: ksync.ContactConfirmed,
		Phone: "010-62345678", Address: "旧址", At: now.Add(-48 * time.Hour)}
	rel := ksync.ContactChange{ID: id(), RetireeID: string(rid), StaffID: "A001", Kind: ksync.ContactRelativeSet,
		Relative: &ksync.RelativeContact{Name: "王芳", Relation: "子女", Mobile: "13900001111", Consent: true}, At: now.Add(-time.Hour)}
	noConsent := rel
	noConsent.ID, noConsent.Relative = id(), &ksync.RelativeContact{Name: "王芳", Relation: "子女", Mobile: "13900001111"}
	badPhone := newer
	badPhone.ID, badPhone.Phone = id(), "12345"
	if _, err := s.RetireeContact(ctx, string(rid)); !errors.Is(err, central.ErrNotFound) {
		t.Fatalf("before any change: %v", err)
	}
	// Changes are earned: T-0001 and T-0002 saw the retiree in person.
	for _, p := range []struct {
		terminal string
		ended    time.Time
	}{{"T-0001", now.Add(-2 * time.Hour)}, {"T-0002", now.Add(-49 * time.Hour)}} {
		r := Record(t, p.terminal, 7)
		r.RetireeID, r.Started, r.Ended = string(rid), p.ended.Add(-time.Minute), p.ended
		if res, err := st.Ingest(ctx, p.terminal, []ksync.Record{r}, p.ended); err != nil || res[0].Status != ksync.StatusAccepted {
			t.Fatalf("pass at %s: %+v %v", p.terminal, res, err)
		}
	}
	res, err := s.PutContacts(ctx, "T-0001", []ksync.ContactChange{newer, rel, noConsent, badPhone}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ksync.StatusAccepted, ksync.StatusAccepted, ksync.StatusInvalid, ksync.StatusInvalid}
	for i, r := range res {
		if r.ID != []string{newer.ID, rel.ID, noConsent.ID, badPhone.ID}[i] || r.Status != want[i] {
			t.Fatalf("result %d = %+v, want %s", i, r, want[i])
		}
	}
	// An older check arriving later (another terminal synced late) is kept
	// in the history but does not replace the newer details.
	changed := newer
	changed.Address = "别处"
	res, err = s.PutContacts(ctx, "T-0002", []ksync.ContactChange{older, newer, changed}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != ksync.StatusAccepted || res[1].Status != ksync.StatusDuplicate || res[2].Status != ksync.StatusConflict {
		t.Fatalf("second delivery = %+v", res)
	}
	rc, err := s.RetireeContact(ctx, string(rid))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Phone != "13812345678" || rc.Address != newer.Address || !rc.CheckedAt.Equal(newer.At) {
		t.Fatalf("current contact = %+v", rc)
	}
	if rc.Relative == nil || rc.Relative.Mobile != "13900001111" || rc.Relative.Relation != "子女" {
		t.Fatalf("relative = %+v", rc.Relative)
	}
	if len(rc.Changes) != 3 || rc.Changes[0].Terminal != "T-0001" || rc.Changes[2].ID != older.ID || rc.Changes[2].Terminal != "T-0002" {
		t.Fatalf("history = %+v", rc.Changes)
	}
	// Consent withdrawn: no relative any more.
	gone := ksync.ContactChange{ID: id(), RetireeID: string(rid), StaffID: "A001", Kind: ksync.ContactRelativeRemoved, At: now}
	if res, err := s.PutContacts(ctx, "T-0001", []ksync.ContactChange{gone}, now); err != nil || res[0].Status != ksync.StatusAccepted {
		t.Fatalf("removal: %+v %v", res, err)
	}
	if rc, _ := s.RetireeContact(ctx, string(rid)); rc.Relative != nil {
		t.Fatalf("relative after removal: %+v", rc.Relative)
	}
	earnedContacts(t, st, s, string(rid), newer, older, now)
}

// earnedContacts (N2): a terminal that did not see the retiree in person
// within 24 hours is refused, and so is its flood past the hourly cap;
// the office can undo an accepted change.
func earnedContacts(t *testing.T, st central.Storage, s central.ContactStorage, rid string, newer, older ksync.ContactChange, now time.Time) {
	ctx := context.Background()
	id := func() string { u, _ := uuid.NewV7(); return u.String() }
	rogue := ksync.ContactChange{ID: id(), RetireeID: rid, StaffID: "X001", Kind: ksync.ContactCorrected,
		Phone: "17000000000", Address: "请把养老金转到此账户", At: now}
	late := rogue
	late.ID = id()
	late.At = now.Add(-2*time.Hour + central.ContactWindow + time.Minute) // T-0001's pass was 2 hours before now
	res, err := s.PutContacts(ctx, "T-0003", []ksync.ContactChange{rogue}, now)
	if err != nil || res[0].Status != ksync.StatusInvalid || res[0].Code != 422 {
		t.Fatalf("a change by a terminal that never saw the retiree: %+v %v", res, err)
	}
	res, err = s.PutContacts(ctx, "T-0001", []ksync.ContactChange{late}, now.Add(central.ContactWindow))
	if err != nil || res[0].Status != ksync.StatusInvalid {
		t.Fatalf("a change more than 24 hours after the terminal's pass: %+v %v", res, err)
	}
	// Sent again, a refused change stays refused.
	if res, _ := s.PutContacts(ctx, "T-0003", []ksync.ContactChange{rogue}, now); res[0].Status != ksync.StatusInvalid {
		t.Fatalf("a refused change sent again: %+v", res)
	}
	// Unless the record that earns it arrived meanwhile (its batch had
	// failed before the contacts went): then it is taken.
	early := ksync.ContactChange{ID: id(), RetireeID: rid, StaffID: "Y001", Kind: ksync.ContactRelativeSet, At: now,
		Relative: &ksync.RelativeContact{Name: "王芳", Relation: "子女", Mobile: "13900001111", Consent: true}}
	if res, _ := s.PutContacts(ctx, "T-0005", []ksync.ContactChange{early}, now); res[0].Status != ksync.StatusInvalid {
		t.Fatalf("a change before its record: %+v", res)
	}
	visit := Record(t, "T-0005", 8)
	visit.RetireeID, visit.Started, visit.Ended = rid, now.Add(-2*time.Minute), now.Add(-time.Minute)
	if res, err := st.Ingest(ctx, "T-0005", []ksync.Record{visit}, now); err != nil || res[0].Status != ksync.StatusAccepted {
		t.Fatalf("the late record: %+v %v", res, err)
	}
	if res, _ := s.PutContacts(ctx, "T-0005", []ksync.ContactChange{early}, now); res[0].Status != ksync.StatusAccepted {
		t.Fatalf("the change sent again after its record: %+v", res)
	}
	rc, err := s.RetireeContact(ctx, rid)
	if err != nil || rc.Phone != newer.Phone {
		t.Fatalf("after refused changes: %+v %v", rc, err)
	}
	refused := 0
	for _, c := range rc.Changes {
		if c.Status == central.ContactRefused {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("the office sees %d refused changes, want 2: %+v", refused, rc.Changes)
	}
	// A flood: past MaxContactChangesPerHour, not even stored.
	var flood []ksync.ContactChange
	for i := 0; i < central.MaxContactChangesPerHour+5; i++ {
		c := rogue
		c.ID = id()
		flood = append(flood, c)
	}
	res, err = s.PutContacts(ctx, "T-0004", flood, now)
	if err != nil {
		t.Fatal(err)
	}
	capped := 0
	for _, r := range res {
		if r.Code == 429 {
			capped++
		}
	}
	if capped != 5 {
		t.Fatalf("%d of %d changes in an hour answered 429, want 5", capped, len(flood))
	}
	// The office undoes T-0001's correction: T-0002's older check stands.
	u, ok := st.(interface {
		UndoContactChange(ctx context.Context, id, user string, now time.Time) (string, error)
	})
	if !ok {
		t.Fatalf("%T cannot undo a contact change", st)
	}
	if r, err := u.UndoContactChange(ctx, newer.ID, "A001", now); err != nil || r != rid {
		t.Fatalf("undo: %q %v", r, err)
	}
	if _, err := u.UndoContactChange(ctx, rogue.ID, "A001", now); err == nil {
		t.Fatal("a refused change was undone")
	}
	rc, _ = s.RetireeContact(ctx, rid)
	if rc.Phone != older.Phone || rc.Address != older.Address {
		t.Fatalf("after the undo: %+v, want the older check %q %q", rc, older.Phone, older.Address)
	}
}
