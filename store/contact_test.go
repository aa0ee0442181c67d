package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"certkiosk"
)

func mustDate(t *testing.T, s string) certkiosk.Date {
	t.Helper()
	d, err := certkiosk.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// setLast gives roster entry i a known last certification date.
func (f *fixture) setLast(t *testing.T, i int, last string) certkiosk.Retiree {
	t.Helper()
	r := f.roster[i]
	r.LastCert = mustDate(t, last)
	r.Pension, r.SuspendedSince = "", certkiosk.Month{}
	if err := f.s.PutRetirees(context.Background(), []certkiosk.Retiree{r}, true); err != nil {
		t.Fatal(err)
	}
	f.roster[i] = r
	return r
}

// The fixture's clock is 2026-11-27 17:00 in China.
func TestPassThatEndsASuspensionCarriesItsMonths(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.setLast(t, 0, "2025-10-10") // due 2026-10-10: suspended since 2026-11
	f.setLast(t, 1, "2026-01-05") // in time
	f.setLast(t, 2, "2025-10-31") // due 2026-10-31: suspended since 2026-11
	c := f.cert(0, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); err != nil {
		t.Fatal(err)
	}
	// Certified on the 27th, after the 15th: back pay a month after resumption.
	if c.Resume.String() != "2026-12" || c.BackpayMonths != 1 || c.BackpayMonth.String() != "2027-01" {
		t.Fatalf("resumption = %s, %d months, back pay %s; want 2026-12, 1, 2027-01", c.Resume, c.BackpayMonths, c.BackpayMonth)
	}
	got, err := f.s.Certification(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Resume != c.Resume || got.BackpayMonths != 1 || got.BackpayMonth != c.BackpayMonth {
		t.Fatalf("stored resumption = %+v", got)
	}
	inTime := f.cert(1, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", inTime, nil); err != nil {
		t.Fatal(err)
	}
	if !inTime.Resume.IsZero() || inTime.BackpayMonths != 0 {
		t.Fatalf("a pass in time carries a resumption: %+v", inTime)
	}
	// A later cut-off day, pushed by the central, brings the back pay in
	// the resumption month.
	if err := f.s.SetBackpayCutoff(ctx, "central", 28); err != nil {
		t.Fatal(err)
	}
	late := f.cert(2, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", late, nil); err != nil {
		t.Fatal(err)
	}
	if late.Resume.String() != "2026-12" || late.BackpayMonths != 1 || late.BackpayMonth.String() != "2026-12" {
		t.Fatalf("cut-off 28: %s %d %s", late.Resume, late.BackpayMonths, late.BackpayMonth)
	}
	// The pass moved the retiree out of the suspension.
	r, err := f.s.FindRetiree(ctx, f.roster[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := r.PensionOn(certkiosk.DateOf(f.clock)); p.Status != certkiosk.PensionInTime {
		t.Fatalf("after the pass: %+v", p)
	}
}

func TestTheCentralsSuspensionIsAuthoritative(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.roster[3]
	r.LastCert = mustDate(t, "2026-03-01") // computed: in time
	r.Pension, r.SuspendedSince = certkiosk.PensionSuspended, certkiosk.Month{Year: 2026, Month: 9}
	if _, _, err := f.s.ApplyRoster(ctx, "central", 7, false, []certkiosk.Retiree{r}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.FindRetiree(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := got.PensionOn(certkiosk.DateOf(f.clock))
	if p.Status != certkiosk.PensionSuspended || p.SuspendedSince.String() != "2026-09" {
		t.Fatalf("standing = %+v, want suspended since 2026-09", p)
	}
	c := f.cert(3, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", c, nil); err != nil {
		t.Fatal(err)
	}
	if c.Resume.String() != "2026-12" || c.BackpayMonths != 3 || c.BackpayMonth.String() != "2027-01" {
		t.Fatalf("resumption = %s %d %s, want 2026-12 3 2027-01", c.Resume, c.BackpayMonths, c.BackpayMonth)
	}
}

func TestContactChecksAreAuditedQueuedAndKept(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.roster[0].ID
	if _, err := f.s.CheckContact(ctx, "A001", id, "1381234567", "x"); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("bad phone: %v", err)
	}
	if n, _ := f.s.PendingContacts(ctx); n != 0 {
		t.Fatalf("a refused change was queued")
	}
	r := f.roster[0]
	r.Phone, r.Address = "13812345678", "北京市东城区和平里 2 号"
	if err := f.s.PutRetirees(ctx, []certkiosk.Retiree{r}, true); err != nil {
		t.Fatal(err)
	}
	ch, err := f.s.CheckContact(ctx, "A001", id, "138 1234 5678", r.Address)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Kind != ContactConfirmed {
		t.Fatalf("unchanged contact is %s", ch.Kind)
	}
	ch2, err := f.s.CheckContact(ctx, "A001", id, "010 6234 5678", "  北京市东城区  和平里 1 号 ")
	if err != nil {
		t.Fatal(err)
	}
	if ch2.Kind != ContactCorrected || ch2.Phone != "010-62345678" || ch2.Address != "北京市东城区 和平里 1 号" {
		t.Fatalf("correction = %+v", ch2)
	}
	r, _ = f.s.FindRetiree(ctx, id)
	if r.Phone != "010-62345678" || r.ContactChecked != certkiosk.DateOf(f.clock.In(certkiosk.China)) {
		t.Fatalf("retiree after correction: %+v", r)
	}
	// A roster from the central made before it heard of the correction
	// does not undo it.
	stale := r
	stale.Phone, stale.Address = "13900000000", "旧地址"
	if _, _, err := f.s.ApplyRoster(ctx, "central", 3, false, []certkiosk.Retiree{stale}, nil); err != nil {
		t.Fatal(err)
	}
	if r, _ = f.s.FindRetiree(ctx, id); r.Phone != "010-62345678" {
		t.Fatalf("stale roster undid the correction: %s", r.Phone)
	}
	out, err := f.s.ContactOutbox(ctx, "", 10)
	if err != nil || len(out) != 2 || out[0].ID != ch.ID || out[1].ID != ch2.ID {
		t.Fatalf("outbox = %+v, %v", out, err)
	}
	if err := f.s.MarkContactsAcked(ctx, "sync", []string{ch.ID, ch2.ID}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.s.PendingContacts(ctx); n != 0 {
		t.Fatalf("pending after ack: %d", n)
	}
	// Once the central has it, its roster wins again.
	if _, _, err := f.s.ApplyRoster(ctx, "central", 4, false, []certkiosk.Retiree{stale}, nil); err != nil {
		t.Fatal(err)
	}
	if r, _ = f.s.FindRetiree(ctx, id); r.Phone != "13900000000" {
		t.Fatalf("central's roster after ack: %s", r.Phone)
	}
	// Audited, masked: no full phone number in the log.
	var n int
	if err := f.s.SQL().QueryRow(`SELECT count(*) FROM audit WHERE action = ? AND detail NOT LIKE '%62345678%'`,
		ActContact).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit entries = %d, %v", n, err)
	}
}

func TestRelativeNeedsConsentAndTravels(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.roster[1].ID
	rel := certkiosk.Relative{Name: "王芳", Relation: "子女", Mobile: "139 0000 1111"}
	if _, err := f.s.SetRelative(ctx, "A001", id, rel); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("without consent: %v", err)
	}
	rel.Consent = true
	if _, err := f.s.SetRelative(ctx, "A001", id, rel); err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.s.Relative(ctx, id)
	if err != nil || !ok || got.Mobile != "13900001111" || got.Relation != "子女" {
		t.Fatalf("Relative = %+v, %v, %v", got, ok, err)
	}
	if err := f.s.RemoveRelative(ctx, "A001", id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.s.Relative(ctx, id); ok {
		t.Fatal("relative still there after removal")
	}
	out, _ := f.s.ContactOutbox(ctx, "", 10)
	if len(out) != 2 || out[0].Kind != ContactRelativeSet || out[0].Relative.Mobile != "13900001111" || out[1].Kind != ContactRelativeRemoved {
		t.Fatalf("outbox = %+v", out)
	}
}

func TestReferencePhotoIsEncryptedToThisTerminal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	frame := testJPEG(t, 7)
	c := f.cert(4, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", c, []Evidence{{Kind: EvidenceBestFrame, Data: frame}}); err != nil {
		t.Fatal(err)
	}
	p, ok, err := f.s.ReferencePhoto(ctx, "A001", f.roster[4].ID)
	if err != nil || !ok || p.Source != RefLastPass || !bytes.Equal(p.JPEG, frame) {
		t.Fatalf("reference photo: ok %v, source %q, same %v, %v", ok, p.Source, bytes.Equal(p.JPEG, frame), err)
	}
	// Never in clear on disk: not in the database, the WAL, or anywhere
	// in the data directory; the key file is private.
	f.s.SQL().Exec(`PRAGMA wal_checkpoint(FULL)`)
	filepath.Walk(f.dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, frame[:64]) {
				t.Errorf("%s holds the photo in clear", path)
			}
		}
		return nil
	})
	if fi, err := os.Stat(filepath.Join(f.dir, ReferenceKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	// Not the evidence key: the supervisor's evidence identity cannot open it.
	var recipient string
	f.s.SQL().QueryRow(`SELECT recipient FROM reference_photo`).Scan(&recipient)
	ev, _ := f.s.Setting(ctx, SetEvidenceRecipient, "")
	if recipient == ev || recipient == "" {
		t.Fatalf("reference photo encrypted to %q (evidence key %q)", recipient, ev)
	}
	// A photo from the central is kept over later last-pass frames.
	idPhoto := testJPEG(t, 99)
	if err := f.s.PutReferencePhoto(ctx, "central", f.roster[4].ID, RefCentral, idPhoto); err != nil {
		t.Fatal(err)
	}
	c2 := f.cert(4, certkiosk.VerdictPass)
	if err := f.s.SaveCertification(ctx, "staff:A001", c2, []Evidence{{Kind: EvidenceBestFrame, Data: testJPEG(t, 3)}}); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := f.s.ReferencePhoto(ctx, "A001", f.roster[4].ID); p.Source != RefCentral || !bytes.Equal(p.JPEG, idPhoto) {
		t.Fatalf("central photo replaced by %s", p.Source)
	}
	if err := f.s.PutReferencePhoto(ctx, "central", f.roster[5].ID, RefCentral, []byte("not a jpeg")); err == nil {
		t.Fatal("a non-JPEG was stored")
	}
	// Retention: gone after reference_retention_days.
	f.clock = f.clock.Add(401 * 24 * time.Hour)
	if n, err := f.s.PurgeReferencePhotos(ctx, "system"); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	if _, ok, _ := f.s.ReferencePhoto(ctx, "A001", f.roster[4].ID); ok {
		t.Fatal("photo kept past retention")
	}
}
