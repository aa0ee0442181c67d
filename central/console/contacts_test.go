package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"certkiosk/central"
	"certkiosk/central/console"
	ksync "certkiosk/sync"
)

// N2: a rogue terminal rewrites a retiree's contact; the office sees every
// change (the refused ones too) on the retiree's page and undoes the one
// that got through, which is audited.
func TestOfficeSeesAndUndoesContactChanges(t *testing.T) {
	e := newEnv(t)
	e.loadFixture()
	ctx := context.Background()
	at := e.clock.Now().Add(-time.Hour)
	visit := e.record("B", "2026-12-01", "manual_review", 1, ksync.FrameCamera)
	visit.Started, visit.Ended = at.Add(-11*time.Minute), at.Add(-10*time.Minute)
	if res, err := e.st.Ingest(ctx, "T-0001", []ksync.Record{visit}, e.clock.Now()); err != nil || res[0].Status != ksync.StatusAccepted {
		t.Fatalf("visit: %+v %v", res, err)
	}
	fraud := ksync.ContactChange{ID: newV7(), RetireeID: e.ids["B"], StaffID: "S001", Kind: ksync.ContactCorrected,
		Phone: "17000000000", Address: "请把养老金转到此账户", At: at}
	elsewhere := fraud
	elsewhere.ID = newV7()
	res, err := e.st.PutContacts(ctx, "T-0001", []ksync.ContactChange{fraud}, e.clock.Now())
	if err != nil || res[0].Status != ksync.StatusAccepted {
		t.Fatalf("change after a visit: %+v %v", res, err)
	}
	if res, _ := e.st.PutContacts(ctx, "T-0009", []ksync.ContactChange{elsewhere}, e.clock.Now()); res[0].Status != ksync.StatusInvalid {
		t.Fatalf("change by a terminal that never saw B: %+v", res)
	}
	admin := e.client()
	admin.mustLogin("A001", "246810")
	page := "/console/retirees/" + e.ids["B"]
	_, body := admin.get(page)
	if !strings.Contains(body, "17000000000") || !strings.Contains(body, "已拒绝") || !strings.Contains(body, "/console/contacts/"+fraud.ID+"/undo") {
		t.Fatalf("the retiree page does not show the changes and the undo:\n%s", body)
	}
	reviewer := e.client()
	reviewer.mustLogin("R001", "135790")
	if resp, _ := reviewer.post("/console/contacts/"+fraud.ID+"/undo", url.Values{"csrf": {reviewer.csrf("/console/review")}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reviewer undid a contact change: %d", resp.StatusCode)
	}
	resp, _ := admin.post("/console/contacts/"+fraud.ID+"/undo", url.Values{"csrf": {admin.csrf(page)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", resp.StatusCode)
	}
	rc, err := e.st.RetireeContact(ctx, e.ids["B"])
	if err != nil || rc.Phone != "" || rc.Address != "" {
		t.Fatalf("after the undo the fraudulent contact stands: %+v %v", rc, err)
	}
	for _, c := range rc.Changes {
		if c.ID == fraud.ID && c.Status != central.ContactUndone {
			t.Errorf("the undone change is %s", c.Status)
		}
	}
	if rows := e.auditRows("contact_undo"); len(rows) != 1 || rows[0].User != "A001" {
		t.Errorf("undo audit: %+v", rows)
	}
	// The roster the terminals download has the office's phone again.
	u, err := e.st.RosterSince(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range u.Retirees {
		if r.ID == e.ids["B"] && r.Phone == "17000000000" {
			t.Error("terminals still get the fraudulent phone")
		}
	}
}

// N13: a console account can be disabled and given a new PIN; either ends
// its sessions at once, and each is answered like a wrong PIN after.
func TestConsoleAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rev := e.client()
	rev.mustLogin("R001", "135790")
	if err := e.st.SetConsoleUserDisabled(ctx, "R001", true); err != nil {
		t.Fatal(err)
	}
	if resp, _ := rev.get("/console/review"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled account's session: %d", resp.StatusCode)
	}
	if resp := e.client().login("R001", "135790"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a disabled account signing in: %d", resp.StatusCode)
	}
	e.st.SetConsoleUserDisabled(ctx, "R001", false)
	rev.mustLogin("R001", "135790")
	e.clock.Add(time.Second)
	h, _ := console.HashPIN("975310", testKDF)
	if err := e.st.SetConsolePIN(ctx, "R001", h, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := rev.get("/console/review"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session from before the PIN change: %d", resp.StatusCode)
	}
	if resp := e.client().login("R001", "135790"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old PIN: %d", resp.StatusCode)
	}
	e.client().mustLogin("R001", "975310")
}
