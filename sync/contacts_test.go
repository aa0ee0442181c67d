package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// Contact checks and relatives made at the counter reach the central
// through the real client and server, exactly once, even when an answer
// is lost on the way back.
func TestContactChangesReachTheCentral(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	id := r.roster[2].ID
	r.seen(t, id, r.roster[3].ID)
	if _, err := r.kiosk.CheckContact(ctx, "A001", id, "138-1234-5678", "北京市东城区和平里 9 号"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.kiosk.SetRelative(ctx, "A001", id, certkiosk.Relative{Name: "李娜", Relation: "子女",
		Mobile: "13900002222", Consent: true}); err != nil {
		t.Fatal(err)
	}
	other := r.roster[3].ID
	if _, err := r.kiosk.CheckContact(ctx, "A001", other, "", ""); err != nil {
		t.Fatal(err)
	}
	// The first answer is lost: the central stored the changes, the kiosk
	// does not know and sends them again.
	u, _ := url.Parse(r.srv.URL)
	proxy := &faultProxy{target: u}
	proxy.mode.Store("drop-response")
	ps := httptest.NewServer(proxy)
	defer ps.Close()
	c := r.client(t, ps.URL)
	if _, err := terminal.PushContacts(ctx, r.kiosk, c, "sync"); err == nil {
		t.Fatal("a lost answer was taken for an acknowledgement")
	}
	if n, _ := r.kiosk.PendingContacts(ctx); n != 3 {
		t.Fatalf("pending after a lost answer = %d, want 3", n)
	}
	res, err := terminal.PushContacts(ctx, r.kiosk, c, "sync")
	if err != nil || res.Sent != 3 || res.Acked != 3 || res.Refused != 0 {
		t.Fatalf("second push = %+v, %v", res, err)
	}
	if n, _ := r.kiosk.PendingContacts(ctx); n != 0 {
		t.Fatalf("pending after the push = %d", n)
	}
	cs := r.store.(central.ContactStorage)
	rc, err := cs.RetireeContact(ctx, string(id))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Phone != "13812345678" || rc.Address != "北京市东城区和平里 9 号" || len(rc.Changes) != 2 {
		t.Fatalf("central's contact = %+v", rc)
	}
	if rc.Relative == nil || rc.Relative.Name != "李娜" || rc.Relative.Mobile != "13900002222" {
		t.Fatalf("central's relative = %+v", rc.Relative)
	}
	if rc.Changes[0].Terminal != "T-0001" {
		t.Fatalf("change from %q", rc.Changes[0].Terminal)
	}
	if rc2, err := cs.RetireeContact(ctx, string(other)); err != nil || rc2.Phone != "" || len(rc2.Changes) != 1 {
		t.Fatalf("no-phone confirmation = %+v, %v", rc2, err)
	}
	// Nothing left: another push sends nothing.
	if res, err := terminal.PushContacts(ctx, r.kiosk, c, "sync"); err != nil || res.Sent != 0 {
		t.Fatalf("third push = %+v, %v", res, err)
	}
}

// A phone corrected at the counter survives the central's acknowledgement:
// the next roster downloads (delta and full, this terminal and another)
// bring the corrected phone, not the office's old one, even after the
// office imports its old roster again.
func TestCorrectedContactIsNotUndoneByTheRoster(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var entries []ksync.RosterEntry
	for _, x := range r.roster[:3] {
		e := ksync.ToEntry(x)
		e.Phone, e.Address = "13800000001", "北京市东城区旧址 1 号"
		entries = append(entries, e)
	}
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	c := r.client(t, "")
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	// Another terminal has the roster from before the correction.
	r2 := newRigWith(t, r.store, "T-0002")
	c2 := r2.client(t, "")
	if _, err := terminal.PullRoster(ctx, r2.kiosk, c2, "sync"); err != nil {
		t.Fatal(err)
	}
	id := certkiosk.ResidentID(entries[1].ID)
	r.seen(t, id)
	if _, err := r.kiosk.CheckContact(ctx, "A001", id, "13912345678", "北京市东城区新址 2 号"); err != nil {
		t.Fatal(err)
	}
	if res, err := terminal.PushContacts(ctx, r.kiosk, c, "sync"); err != nil || res.Acked != 1 {
		t.Fatalf("push = %+v, %v", res, err)
	}
	check := func(when string, db interface {
		FindRetiree(context.Context, certkiosk.ResidentID) (certkiosk.Retiree, error)
	}) {
		t.Helper()
		got, err := db.FindRetiree(ctx, id)
		if err != nil || got.Phone != "13912345678" || got.Address != "北京市东城区新址 2 号" {
			t.Fatalf("%s: phone %q address %q (%v), want the correction", when, got.Phone, got.Address, err)
		}
		if other, _ := db.FindRetiree(ctx, certkiosk.ResidentID(entries[0].ID)); other.Phone != "13800000001" {
			t.Fatalf("%s: someone else's phone %q", when, other.Phone)
		}
	}
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil { // a delta
		t.Fatal(err)
	}
	check("after the acknowledgement", r.kiosk)
	if _, err := terminal.PullRoster(ctx, r2.kiosk, c2, "sync"); err != nil { // the correction as a delta
		t.Fatal(err)
	}
	check("on another terminal", r2.kiosk)
	// The office imports its roster again, old phone and all, with the
	// name spelled anew: the entry comes down in a delta.
	entries[1].Name += "华"
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	check("after the office's import", r.kiosk)
	// A terminal with the roster from scratch.
	r3 := newRigWith(t, r.store, "T-0003")
	if _, err := terminal.PullRoster(ctx, r3.kiosk, r3.client(t, ""), "sync"); err != nil {
		t.Fatal(err)
	}
	check("on a new terminal", r3.kiosk)
}

// The central checks what a terminal sends: a signed request with a bad
// change gets that change refused, a request past the limits 413, an
// unsigned one 401.
func TestContactChangesAreChecked(t *testing.T) {
	r := newRig(t)
	c := r.client(t, "")
	ctx := context.Background()
	r.seen(t, r.roster[0].ID)
	now := time.Now()
	good := ksync.ContactChange{ID: "0193a1b2-0000-7000-8000-000000000001", RetireeID: string(r.roster[0].ID),
		StaffID: "A001", Kind: ksync.ContactConfirmed, Phone: "13812345678", At: now}
	bad := []ksync.ContactChange{
		{ID: "x1", RetireeID: "110105194912310021", StaffID: "A001", Kind: ksync.ContactConfirmed, At: now},           // bad checksum
		{ID: "x2", RetireeID: good.RetireeID, StaffID: "A001", Kind: ksync.ContactConfirmed, Phone: "12345", At: now}, // bad phone
		{ID: "x3", RetireeID: good.RetireeID, StaffID: "A001", Kind: ksync.ContactRelativeSet, At: now,
			Relative: &ksync.RelativeContact{Name: "李娜", Relation: "子女", Mobile: "13900002222"}}, // no consent
		{ID: "x4", RetireeID: good.RetireeID, StaffID: "A001", Kind: "delete_everything", At: now},
		// Dated in 2099: it would pin the retiree's contact for good.
		{ID: "x5", RetireeID: good.RetireeID, StaffID: "A001", Kind: ksync.ContactCorrected, Phone: "13900009999",
			At: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "x6", RetireeID: good.RetireeID, StaffID: "A001", Kind: ksync.ContactCorrected, Phone: "13900009999",
			At: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	out, err := c.SendContacts(ctx, append([]ksync.ContactChange{good}, bad...))
	if err != nil {
		t.Fatal(err)
	}
	if out.Results[0].Status != ksync.StatusAccepted {
		t.Fatalf("good change: %+v", out.Results[0])
	}
	for _, res := range out.Results[1:] {
		if res.Status != ksync.StatusInvalid || res.Code != 422 {
			t.Fatalf("bad change %s: %+v", res.ID, res)
		}
	}
	// A change from a clock a few hours ahead is taken, but as made now:
	// the correction a minute later still wins.
	ahead := good
	ahead.ID, ahead.Phone, ahead.At = "0193a1b2-0000-7000-8000-000000000002", "13900001111", now.Add(20*time.Hour)
	later := good
	later.ID, later.Kind, later.Phone, later.At = "0193a1b2-0000-7000-8000-000000000003", ksync.ContactCorrected, "13900002222", now.Add(time.Minute)
	for _, ch := range []ksync.ContactChange{ahead, later} {
		if out, err := c.SendContacts(ctx, []ksync.ContactChange{ch}); err != nil || out.Results[0].Status != ksync.StatusAccepted {
			t.Fatalf("change %s: %v %+v", ch.ID, err, out)
		}
	}
	rc, err := r.store.(central.ContactStorage).RetireeContact(ctx, good.RetireeID)
	if err != nil || rc.Phone != "13900002222" {
		t.Fatalf("contact after a change from a clock ahead: %+v %v", rc, err)
	}
	many := make([]ksync.ContactChange, ksync.MaxContactChanges+1)
	for i := range many {
		many[i] = good
	}
	if _, err := c.SendContacts(ctx, many); !isStatus(err, 413) {
		t.Fatalf("%d changes: %v", len(many), err)
	}
	body, _ := json.Marshal(ksync.ContactsRequest{Changes: []ksync.ContactChange{good}})
	resp, err := r.srv.Client().Post(r.srv.URL+ksync.PathContacts, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("unsigned contacts: %d", resp.StatusCode)
	}
	// Photos only to an authenticated terminal, and only by identity number.
	resp, err = r.srv.Client().Get(r.srv.URL + ksync.PathPhotos + string(r.roster[0].ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("unsigned photo request: %d", resp.StatusCode)
	}
	if _, err := c.Photo(ctx, "..%2f..%2fetc"); !isStatus(err, 400) {
		t.Fatalf("photo of a non-ID: %v", err)
	}
	if _, err := c.Photo(ctx, r.roster[1].ID); !isStatus(err, 404) {
		t.Fatalf("photo nobody imported: %v", err)
	}
}

func isStatus(err error, code int) bool {
	he, ok := err.(*ksync.HTTPError)
	return ok && he.Status == code
}

// The sync worker sends contact changes after the records.
func TestWorkerSendsContactChanges(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 3)
	if _, err := r.kiosk.SetRelative(ctx, "A001", r.roster[1].ID, certkiosk.Relative{Name: "赵强", Relation: "配偶",
		Mobile: "13700001234", Consent: true}); err != nil {
		t.Fatal(err)
	}
	w := &terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}
	res, err := w.SyncOnce(ctx)
	if err != nil || res.Acked != 3 || res.Contacts.Acked != 1 {
		t.Fatalf("SyncOnce = %+v, %v", res, err)
	}
	rc, err := r.store.(central.ContactStorage).RetireeContact(ctx, string(r.roster[1].ID))
	if err != nil || rc.Relative == nil || rc.Relative.Relation != "配偶" {
		t.Fatalf("central's relative = %+v, %v", rc, err)
	}
}

// The roster carries the central's word on a suspension and the office's
// back-pay cut-off day; the terminal keeps both.
func TestRosterCarriesPensionStatusAndCutoff(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.central.BackpayCutoffDay = 20
	var entries []ksync.RosterEntry
	for _, x := range r.roster[:3] {
		entries = append(entries, ksync.ToEntry(x))
	}
	entries[0].LastCert = "2026-03-01"
	entries[0].Status, entries[0].SuspendedSince = "suspended", "2026-09" // a rejected review, say
	entries[1].Status = "in_time"
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.PullRoster(ctx, r.kiosk, r.client(t, ""), "sync"); err != nil {
		t.Fatal(err)
	}
	got, err := r.kiosk.FindRetiree(ctx, r.roster[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := got.PensionOn(certkiosk.Date{Year: 2026, Month: 11, Day: 30}); p.Status != certkiosk.PensionSuspended ||
		p.SuspendedSince.String() != "2026-09" {
		t.Fatalf("standing after the download = %+v", p)
	}
	if d, err := r.kiosk.BackpayCutoffDay(ctx); err != nil || d != 20 {
		t.Fatalf("cut-off day = %d, %v; want 20 from the central", d, err)
	}
	// A malformed status refuses the whole update.
	entries[2].Status = "paid_forever"
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.PullRoster(ctx, r.kiosk, r.client(t, ""), "sync"); err == nil {
		t.Fatal("an unknown status was accepted")
	}
}

// sealPhoto seals a photo to the rig central's identity, as centrald's
// roster import does.
func sealPhoto(t *testing.T, r *rig, id string, jpeg []byte) map[string]central.SealedPhoto {
	t.Helper()
	m, err := central.SealPhotos(r.keys.Recipient(), map[string][]byte{id: jpeg})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A reference photo the office imported reaches the terminal with the
// roster, stored encrypted to the terminal's own key; a photo that does not
// match the roster's digest is refused; a withdrawn one is deleted.
func TestReferencePhotosComeWithTheRoster(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	ps := r.store.(central.PhotoStorage)
	photo := frame(42)
	var entries []ksync.RosterEntry
	for _, x := range r.roster[:2] {
		entries = append(entries, ksync.ToEntry(x))
	}
	entries[0].PhotoSHA256 = central.PhotoSHA256(photo)
	if err := ps.PutPhotos(ctx, sealPhoto(t, r, entries[0].ID, photo)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	c := r.client(t, "")
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync")
	if err != nil || res.Fetched != 1 || res.Left != 0 {
		t.Fatalf("PullPhotos = %+v, %v", res, err)
	}
	p, ok, err := r.kiosk.ReferencePhoto(ctx, "A001", r.roster[0].ID)
	if err != nil || !ok || p.Source != "central" || !bytes.Equal(p.JPEG, photo) {
		t.Fatalf("reference photo: ok %v source %q %v", ok, p.Source, err)
	}
	if res, _ := terminal.PullPhotos(ctx, r.kiosk, c, "sync"); res.Fetched != 0 {
		t.Fatalf("an unchanged photo was fetched again: %+v", res)
	}
	// A photo listed but missing at the central holds up none of the others.
	entries[1].PhotoSHA256 = central.PhotoSHA256(frame(9))
	r.store.PutRoster(ctx, entries)
	terminal.PullRoster(ctx, r.kiosk, c, "sync")
	if res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync"); err != nil || res.Fetched != 0 || res.Left != 1 {
		t.Fatalf("a missing photo: %+v %v", res, err)
	}
	entries[1].PhotoSHA256 = ""
	// The central's copy changes behind the roster's back: refused.
	if err := ps.PutPhotos(ctx, sealPhoto(t, r, entries[0].ID, frame(7))); err != nil {
		t.Fatal(err)
	}
	entries[0].PhotoSHA256 = central.PhotoSHA256(frame(8))
	r.store.PutRoster(ctx, entries)
	terminal.PullRoster(ctx, r.kiosk, c, "sync")
	if res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync"); err != nil || res.Mismatched != 1 || res.Fetched != 0 {
		t.Fatalf("a photo that does not match its digest: %+v %v", res, err)
	}
	// Withdrawn from the roster: gone from the terminal.
	entries[0].PhotoSHA256 = ""
	r.store.PutRoster(ctx, entries)
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	if res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync"); err != nil || res.Dropped != 1 {
		t.Fatalf("withdrawal: %+v %v", res, err)
	}
	if _, ok, _ := r.kiosk.ReferencePhoto(ctx, "A001", r.roster[0].ID); ok {
		t.Fatal("a withdrawn photo is still shown")
	}
}

// Photos the central cannot give, more than one run asks for, and one that
// does not match its digest hold up none of the others: the download goes
// on from where the last run stopped and counts them apart.
func TestPhotoDownloadSkipsMissingAndMismatched(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	people, err := store.DemoRoster(260, 7, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.kiosk.PutRetirees(ctx, people, true); err != nil {
		t.Fatal(err)
	}
	entries := make([]ksync.RosterEntry, len(people))
	for i, x := range people {
		entries[i] = ksync.ToEntry(x)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].ID < entries[j].ID })
	held := map[string][]byte{}
	for i := range entries {
		entries[i].PhotoSHA256 = central.PhotoSHA256(frame(i)) // the first 230 are not at the central
		if i >= 230 {
			held[entries[i].ID] = frame(i)
		}
	}
	held[entries[100].ID] = frame(1000) // not the photo the roster lists
	sealed, err := central.SealPhotos(r.keys.Recipient(), held)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.(central.PhotoStorage).PutPhotos(ctx, sealed); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := r.store.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	c := r.client(t, "")
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	var runs []terminal.PhotosResult
	for run := 0; run < 2; run++ {
		res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync")
		if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if n := res.Fetched + res.Missing + res.Mismatched; n > terminal.MaxPhotosPerRun {
			t.Fatalf("run %d asked for %d photos", run+1, n)
		}
		for _, p := range res.Problems {
			if regexp.MustCompile(`\d{17}`).MatchString(p) {
				t.Fatalf("problem names a whole identity number: %q", p)
			}
		}
		runs = append(runs, res)
	}
	// The first run asks for the first 200 (199 missing, 1 not matching),
	// the second goes on from there: the 30 held ones come.
	if g := runs[0]; g.Fetched != 0 || g.Missing != 199 || g.Mismatched != 1 || g.Left != 260 || len(g.Problems) != 200 {
		t.Fatalf("first run: %+v", g)
	}
	if g := runs[1]; g.Fetched != 30 || g.Left != 230 {
		t.Fatalf("second run: %+v", g)
	}
	for i := 230; i < len(entries); i++ {
		if _, ok, err := r.kiosk.ReferencePhoto(ctx, "A001", certkiosk.ResidentID(entries[i].ID)); err != nil || !ok {
			t.Fatalf("photo %d not fetched: %v", i, err)
		}
	}
}

// Staff's answer to the reference photo travels with the record; records
// without one keep the hash they always had.
func TestPhotoMatchTravelsWithTheRecord(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	yes := true
	c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.roster[0].ID, StaffID: "A001",
		Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
		Started: time.Now().Add(-5 * time.Second), Ended: time.Now(), Attempt: 1, PhotoMatch: &yes}
	if err := r.kiosk.SaveCertification(ctx, "staff:A001", c, nil); err != nil {
		t.Fatal(err)
	}
	out, err := r.kiosk.Outbox(ctx, 10, 1<<20)
	if err != nil || len(out) != 1 {
		t.Fatalf("outbox: %v", err)
	}
	rec := terminal.ToRecord(out[0])
	if rec.PhotoMatch == nil || !*rec.PhotoMatch {
		t.Fatalf("wire record photo_match = %v", rec.PhotoMatch)
	}
	without := rec
	without.PhotoMatch = nil
	no := false
	other := rec
	other.PhotoMatch = &no
	if rec.ContentHash() == without.ContentHash() || rec.ContentHash() == other.ContentHash() {
		t.Fatal("the content hash ignores photo_match")
	}
	b, _ := json.Marshal(without)
	if strings.Contains(string(b), "photo_match") {
		t.Fatalf("a record with no photo shown sends photo_match: %s", b)
	}
	res, err := (&terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}).SyncOnce(ctx)
	if err != nil || res.Acked != 1 {
		t.Fatalf("sync: %+v %v", res, err)
	}
}
