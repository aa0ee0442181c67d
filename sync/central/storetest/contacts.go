package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
	"certkiosk/sync/central"

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
}
