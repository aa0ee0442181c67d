package sync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/central"
	"certkiosk/central/sqlitestore"
	"certkiosk/central/storetest"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// The third security review's findings (issue 23), attacked over the wire
// as a rogue terminal or a stranger on the network would.

// postBatch sends recs as a batch signed by terminal's key at now.
func postBatch(t *testing.T, url, terminal string, key ed25519.PrivateKey, recs []ksync.Record, now time.Time) (answer, ksync.BatchResponse) {
	t.Helper()
	body, err := ksync.EncodeBatch(ksync.Batch{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	a := send(t, signed(t, url, terminal, key, ksync.ContentTypeBatch, body, now))
	var br ksync.BatchResponse
	json.Unmarshal([]byte(a.body), &br)
	return a, br
}

// recordOf is a valid pass of terminal for retiree, ended at ended.
func recordOf(t *testing.T, terminal, retiree string, i int, ended time.Time) ksync.Record {
	t.Helper()
	r := storetest.Record(t, terminal, i)
	r.RetireeID, r.Started, r.Ended, r.FrameSource = retiree, ended.Add(-10*time.Second), ended, ksync.FrameCamera
	return r
}

// N1: a rogue terminal back-dates a pass to make up a suspension and its
// back pay, or dates it in the future to hide a retiree from the reminders.
// The central bounds ended_at by its own clock and the terminal's
// enrollment, and holds a record older than 90 days for review, where it
// changes no pension state.
func TestRecordTimesAreBounded(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	cs := r.store.(*sqlitestore.Store)
	c := r.client(t, "")
	now := time.Now()
	inTime := storetest.Record(t, c.Terminal, 0).RetireeID // 张三: certified in time (the roster says today)
	lapsed := storetest.Record(t, c.Terminal, 1).RetireeID // 李四: last certified 400 days ago
	roster := []ksync.RosterEntry{
		{ID: inTime, Name: "张三", Birth: inTime[6:10] + "-01-01", LastCert: central.DayOf(now).String()},
		{ID: lapsed, Name: "李四", Birth: lapsed[6:10] + "-01-01", LastCert: central.DayOf(now.AddDate(0, 0, -400)).String()},
	}
	if _, _, _, err := cs.PutRoster(ctx, roster); err != nil {
		t.Fatal(err)
	}
	srv, _ := attacker(t, r, nil)
	backdated := recordOf(t, c.Terminal, inTime, 0, time.Date(2020, 1, 1, 2, 0, 0, 0, time.UTC))
	beforeEnrolment := recordOf(t, c.Terminal, inTime, 1, now.Add(-time.Hour))
	future := recordOf(t, c.Terminal, lapsed, 2, time.Date(2099, 1, 1, 2, 0, 0, 0, time.UTC))
	soonAhead := recordOf(t, c.Terminal, lapsed, 3, now.Add(6*time.Minute))
	honest := recordOf(t, c.Terminal, inTime, 4, now)
	a, br := postBatch(t, srv.URL, c.Terminal, c.Key, []ksync.Record{backdated, beforeEnrolment, future, soonAhead, honest}, now)
	if a.status != 200 || len(br.Results) != 5 {
		t.Fatalf("batch: %d %s", a.status, a.body)
	}
	for i, want := range []string{ksync.StatusInvalid, ksync.StatusInvalid, ksync.StatusInvalid, ksync.StatusInvalid, ksync.StatusAccepted} {
		if got := br.Results[i]; got.Status != want || want == ksync.StatusInvalid && got.Code != 422 {
			t.Errorf("record %d: %s (%d) %s, want %s", i, got.Status, got.Code, got.Error, want)
		}
	}

	// A late record: the kiosk kept it 100 days (a USB bundle, a broken
	// link). It is stored, but held for review.
	later := func() time.Time { return time.Now().Add(100 * 24 * time.Hour) }
	srvLater, _ := attacker(t, r, func(s *central.Server) { s.Now = later })
	old := recordOf(t, c.Terminal, lapsed, 5, now.Add(time.Minute)) // after the enrollment, 100 days before its arrival
	a, br = postBatch(t, srvLater.URL, c.Terminal, c.Key, []ksync.Record{old}, later())
	if a.status != 200 || br.Results[0].Status != ksync.StatusAccepted {
		t.Fatalf("late record: %d %s", a.status, a.body)
	}
	if rs, err := cs.Receipt(ctx, c.Terminal, old.Receipt); err != nil || !rs.Review {
		t.Fatalf("a record 100 days old is not held for review: %+v %v", rs, err)
	}
	if _, err := cs.RefreshPension(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{inTime, lapsed} {
		eps, err := cs.Episodes(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(eps) != 0 {
			t.Errorf("%s: suspension episodes %+v from refused or held records", certkiosk.Mask(id), eps)
		}
	}
	if ret, _ := cs.Retiree(ctx, lapsed); ret.Last != central.DayOf(now.AddDate(0, 0, -400)) {
		t.Errorf("the held pass moved 李四's last certification to %s", ret.Last)
	}
	if ret, _ := cs.Retiree(ctx, inTime); ret.Last != central.DayOf(now) {
		t.Errorf("张三's last certification is %s, want today", ret.Last)
	}
}

// trickle is a body that sends a byte every 100 ms until closed.
type trickle struct{ done chan struct{} }

func (tr trickle) Read(p []byte) (int, error) {
	select {
	case <-tr.done:
		return 0, io.EOF
	case <-time.After(100 * time.Millisecond):
	}
	p[0] = '{'
	return 1, nil
}

// fromAddr is an HTTP client whose connections come from ip (127.0.0.x).
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// junkSigned makes a request that names terminal with a well-formed but
// wrong signature and a body that trickles in: what N4's attacker sends.
func junkSigned(url, terminal string, digest bool, length int64, body io.Reader) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url+ksync.PathBatches, body)
	req.ContentLength = length
	req.Header.Set("Content-Type", ksync.ContentTypeBatch)
	req.Header.Set(ksync.HeaderTerminal, terminal)
	req.Header.Set(ksync.HeaderTimestamp, strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set(ksync.HeaderNonce, strings.Repeat("ab", 16))
	req.Header.Set(ksync.HeaderSignature, base64.StdEncoding.EncodeToString(make([]byte, 64)))
	if digest {
		req.Header.Set(ksync.HeaderContentSHA256, strings.Repeat("0", 64))
	}
	return req
}

// N4 (and F2, F9): requests that name an enrolled terminal with a bad
// signature and trickle a 16 MiB body in, from one address or several,
// are answered at once, spend a token and hold no upload slot: a real
// terminal's batch gets its 2xx within 10 s. Enrolled and unknown
// terminals are answered alike.
func TestBadSignaturesHoldNoSlot(t *testing.T) {
	r := newRig(t)
	srv, cs := attacker(t, r, nil)
	c := r.client(t, "")
	done := make(chan struct{})
	defer close(done)
	type result struct {
		status int
		took   time.Duration
	}
	results := make(chan result, 8)
	var wg gosync.WaitGroup
	for i, ip := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.3"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			resp, err := fromAddr(ip).Do(junkSigned(srv.URL, c.Terminal, i%2 == 0, 16<<20, trickle{done}))
			if err != nil {
				results <- result{-1, time.Since(start)}
				return
			}
			resp.Body.Close()
			results <- result{resp.StatusCode, time.Since(start)}
		}()
	}
	// The real terminal, meanwhile, retrying on 503 and 429 as kiosks do.
	r.save(t, 1)
	ob, _ := r.kiosk.Outbox(context.Background(), 10, 1<<20)
	recs := []ksync.Record{}
	for _, o := range ob {
		recs = append(recs, terminal.ToRecord(o))
	}
	deadline := time.Now().Add(10 * time.Second)
	var a answer
	for {
		a, _ = postBatch(t, srv.URL, c.Terminal, c.Key, recs, time.Now())
		if a.status/100 == 2 || a.status != 503 && a.status != 429 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a.status != 200 {
		t.Fatalf("the real terminal's batch under attack: %d %s (uploads in flight %d)", a.status, a.body, cs.UploadsInFlight())
	}
	wg.Wait()
	close(results)
	for res := range results {
		if res.status != 401 && res.status != 429 || res.took > 3*time.Second {
			t.Errorf("bad signature answered %d after %s, want 401 or 429 at once", res.status, res.took)
		}
	}
	if n := cs.UploadsInFlight(); n != 0 {
		t.Errorf("%d uploads in flight after the attack", n)
	}

	// F9: enrolled and unknown terminals, with or without a digest, answer
	// alike and at once.
	seen := map[string]bool{}
	for _, who := range []string{c.Terminal, "T-9999"} {
		for _, digest := range []bool{true, false} {
			start := time.Now()
			done2 := make(chan struct{})
			resp, err := fromAddr("127.0.0.4").Do(junkSigned(srv.URL, who, digest, 1<<20, trickle{done2}))
			close(done2)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("%s: answered after %s", who, took)
			}
			seen[strconv.Itoa(resp.StatusCode)+" "+string(b)] = true
		}
	}
	if len(seen) != 1 {
		t.Errorf("enrolled and unknown terminals answered differently: %v", seen)
	}
}

// N4: a bad signature spends a token of its address, like any failed
// authentication; a terminal that signs is still served from that address.
func TestBadSignaturesSpendTokens(t *testing.T) {
	r := newRig(t)
	srv, _ := attacker(t, r, func(s *central.Server) { s.RateLimit = central.RateLimit{Burst: 5, PerSecond: 0.001} })
	c := r.client(t, "")
	statuses := map[int]int{}
	for i := 0; i < 8; i++ {
		done := make(chan struct{})
		resp, err := http.DefaultClient.Do(junkSigned(srv.URL, c.Terminal, true, 100, trickle{done}))
		close(done)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		statuses[resp.StatusCode]++
	}
	if statuses[401] != 5 || statuses[429] != 3 {
		t.Errorf("8 bad signatures from one address with 5 tokens: %v, want 5 × 401 and 3 × 429", statuses)
	}
	r.save(t, 1)
	ob, _ := r.kiosk.Outbox(context.Background(), 10, 1<<20)
	a, _ := postBatch(t, srv.URL, c.Terminal, c.Key, []ksync.Record{terminal.ToRecord(ob[0])}, time.Now())
	if a.status != 200 {
		t.Errorf("a signed batch from the flooded address: %d %s", a.status, a.body)
	}
}

// N4: a correctly signed body must arrive at a minimum rate: a trickle
// loses its slot in a few seconds.
func TestSlowBodyLosesItsSlot(t *testing.T) {
	r := newRig(t)
	srv, cs := attacker(t, r, nil)
	c := r.client(t, "")
	body := []byte(strings.Repeat("x", 4096))
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+ksync.PathBatches, pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", ksync.ContentTypeBatch)
	ksync.Sign(req, c.Terminal, c.Key, body, time.Now())
	go func() {
		for i := 0; i < len(body); i++ {
			if _, err := pw.Write(body[i : i+1]); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		pw.Close()
	}()
	defer pw.Close()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("a 20 bytes/s body held its slot for %s", took)
	}
	if err == nil && resp.StatusCode < 400 {
		t.Fatalf("a trickled body was answered %d", resp.StatusCode)
	}
	for i := 0; cs.UploadsInFlight() != 0 && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := cs.UploadsInFlight(); n != 0 {
		t.Fatalf("%d uploads in flight after the trickle was cut off", n)
	}
}

// N2: a rogue terminal rewrites the contact of retirees it never saw, and
// floods changes. Every change it has not earned is refused (422) and kept
// for the office; past the hourly cap they are answered 429.
func TestContactChangesAreEarned(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	evil := newRigWith(t, r.store, "T-0002")
	victim := r.roster[1].ID
	r.seen(t, victim) // the victim certified at T-0001, not at T-0002
	ce := evil.client(t, "")
	poison := ksync.ContactChange{ID: "0193a1b2-0000-7000-8000-0000000000e1", RetireeID: string(victim), StaffID: "X001",
		Kind: ksync.ContactCorrected, Phone: "17000000000", Address: "请把养老金转到此账户", At: time.Now()}
	relative := ksync.ContactChange{ID: "0193a1b2-0000-7000-8000-0000000000e2", RetireeID: string(victim), StaffID: "X001",
		Kind: ksync.ContactRelativeSet, At: time.Now(),
		Relative: &ksync.RelativeContact{Name: "骗子", Relation: "子女", Mobile: "17000000001", Consent: true}}
	out, err := ce.SendContacts(ctx, []ksync.ContactChange{poison, relative})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range out.Results {
		if res.Status != ksync.StatusInvalid || res.Code != 422 {
			t.Errorf("unearned change %s: %+v", res.ID, res)
		}
	}
	cs := r.store.(central.ContactStorage)
	if rc, err := cs.RetireeContact(ctx, string(victim)); err != nil || rc.Phone != "" || rc.Relative != nil || len(rc.Changes) != 2 {
		t.Fatalf("after the rogue terminal's changes: %+v %v", rc, err)
	}
	// The flood: 2 already this hour, so 118 more are taken (and refused),
	// the rest answered 429.
	var flood []ksync.ContactChange
	for i := 0; i < 130; i++ {
		c := poison
		c.ID = fmt.Sprintf("0193a1b2-0000-7000-8000-%012d", 1000+i)
		flood = append(flood, c)
	}
	out, err = ce.SendContacts(ctx, flood)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, res := range out.Results {
		if res.Code == 429 {
			n++
		}
	}
	if n != 130-(central.MaxContactChangesPerHour-2) {
		t.Errorf("%d changes answered 429, want %d", n, 130-(central.MaxContactChangesPerHour-2))
	}
	// The terminal that saw the retiree may correct the contact.
	good := poison
	good.ID, good.StaffID, good.Phone, good.Address = "0193a1b2-0000-7000-8000-0000000000f1", "A001", "13812345678", "北京市东城区和平里 9 号"
	out, err = r.client(t, "").SendContacts(ctx, []ksync.ContactChange{good})
	if err != nil || out.Results[0].Status != ksync.StatusAccepted {
		t.Fatalf("earned change: %+v %v", out, err)
	}
}

// N3: a typo in a roster import (2024 for 2026, 2062 for 2026) made up a
// suspension with back pay, or "正常" for decades, and a corrected import
// could not take it back. The newest import's date wins; the history of
// dates is kept; a date after today is refused at import.
func TestCorrectedRosterDateWins(t *testing.T) {
	ctx := context.Background()
	cs, _ := openCentral(t, t.TempDir())
	zhang := storetest.Record(t, "T-0001", 0).RetireeID
	zhao := storetest.Record(t, "T-0001", 1).RetireeID
	put := func(zhangLast, zhaoLast string) {
		t.Helper()
		if _, _, _, err := cs.PutRoster(ctx, []ksync.RosterEntry{
			{ID: zhang, Name: "张三", Birth: zhang[6:10] + "-01-01", LastCert: zhangLast},
			{ID: zhao, Name: "赵六", Birth: zhao[6:10] + "-01-01", LastCert: zhaoLast},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.RefreshPension(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put("2024-11-20", "2062-01-05") // the typos
	if eps, _ := cs.Episodes(ctx, zhang); len(eps) != 0 {
		t.Logf("one date alone makes no episode: %+v", eps)
	}
	put("2026-11-20", "2026-01-05") // corrected
	eps, err := cs.Episodes(ctx, zhang)
	if err != nil || len(eps) != 0 {
		t.Errorf("张三 after the correction: episodes %+v %v, want none", eps, err)
	}
	for id, want := range map[string]string{zhang: "2026-11-20", zhao: "2026-01-05"} {
		if r, err := cs.Retiree(ctx, id); err != nil || r.Last.String() != want {
			t.Errorf("%s: last certification %s %v, want %s", certkiosk.Mask(id), r.Last, err, want)
		}
	}
	var history int
	if err := cs.DB().QueryRow(`SELECT count(*) FROM pension_roster_cert WHERE retiree_id IN (?, ?)`, zhang, zhao).Scan(&history); err != nil || history != 4 {
		t.Errorf("roster date history: %d rows %v, want 4", history, err)
	}
	today := certkiosk.Date{Year: 2026, Month: 12, Day: 7}
	if bad := central.FutureLastCerts([]ksync.RosterEntry{{ID: zhao, LastCert: "2062-01-05"}, {ID: zhang, LastCert: "2026-12-07"}}, today); len(bad) != 1 || strings.Contains(bad[0], zhao) {
		t.Errorf("future dates found: %q (the ID must be masked)", bad)
	}
}

// bomb is a JPEG of a few hundred bytes whose header claims side×side
// pixels: jpeg.Decode would allocate gigabytes for it.
func bomb(t testing.TB, side int) []byte {
	t.Helper()
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	j := b.Bytes()
	i := bytes.Index(j, []byte{0xFF, 0xC0}) // SOF0: length, precision, height, width
	if i < 0 {
		t.Fatal("no SOF0 in the encoded JPEG")
	}
	j[i+5], j[i+6], j[i+7], j[i+8] = byte(side>>8), byte(side), byte(side>>8), byte(side)
	return j
}

// N10: a decompression bomb as a reference photo is refused at the
// central's import, at the kiosk's download, and by the kiosk's store,
// from its header alone (almost nothing is allocated).
func TestPhotoBombsAreRefused(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	for _, side := range []int{8192, 30000, 65535} {
		j := bomb(t, side)
		if len(j) > 1024 {
			t.Fatalf("the bomb is %d bytes", len(j))
		}
		before := totalAlloc()
		dir := t.TempDir()
		id := string(r.roster[0].ID)
		if err := os.WriteFile(filepath.Join(dir, id+".jpg"), j, 0o600); err != nil {
			t.Fatal(err)
		}
		photos, skipped, err := central.ReadPhotoDir(dir)
		if err != nil || len(photos) != 0 || len(skipped) != 1 {
			t.Fatalf("%d×%d at the central's import: %d taken, skipped %q, %v", side, side, len(photos), skipped, err)
		}
		if strings.Contains(skipped[0], id) {
			t.Errorf("skip message names the whole identity number: %q", skipped[0])
		}
		if err := r.kiosk.PutReferencePhoto(ctx, "A001", r.roster[0].ID, store.RefCentral, j); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
			t.Fatalf("%d×%d in the kiosk's store: %v", side, side, err)
		}
		if grew := totalAlloc() - before; grew > 16<<20 {
			t.Fatalf("refusing a %d×%d bomb allocated %d MiB", side, side, grew>>20)
		}
	}
	// Planted at the central behind the import's back: the kiosk refuses
	// it at download.
	j := bomb(t, 30000)
	ps := r.store.(central.PhotoStorage)
	e := ksync.ToEntry(r.roster[0])
	e.PhotoSHA256 = central.PhotoSHA256(j)
	if err := ps.PutPhotos(ctx, sealPhoto(t, r, e.ID, j)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := r.store.PutRoster(ctx, []ksync.RosterEntry{e}); err != nil {
		t.Fatal(err)
	}
	c := r.client(t, "")
	if _, err := terminal.PullRoster(ctx, r.kiosk, c, "sync"); err != nil {
		t.Fatal(err)
	}
	res, err := terminal.PullPhotos(ctx, r.kiosk, c, "sync")
	if err != nil || res.Fetched != 0 || res.Mismatched != 1 {
		t.Fatalf("the kiosk's download of a bomb: %+v %v", res, err)
	}
	if _, ok, _ := r.kiosk.ReferencePhoto(ctx, "A001", r.roster[0].ID); ok {
		t.Fatal("the bomb is held as a reference photo")
	}
	if store.MaxReferencePhotoSide != ksync.MaxPhotoSide {
		t.Fatalf("the store bounds photos at %d pixels a side, the wire at %d", store.MaxReferencePhotoSide, ksync.MaxPhotoSide)
	}
}

// N11: no identity number whole in an error or a log line: a photo that
// cannot be read, a central log line, the centrald's messages.
func TestNoWholeIdentityNumberInLogs(t *testing.T) {
	const id = "110105195001010039"
	if got := central.MaskIDs("openat " + id + ".jpg: permission denied; legacy 110105500101003 too"); strings.Contains(got, id) ||
		strings.Contains(got, "110105500101003") || !strings.Contains(got, "110105********0039") {
		t.Errorf("MaskIDs: %q", got)
	}
	var buf bytes.Buffer
	l := log.New(central.MaskingWriter(&buf), "centrald: ", 0)
	l.Printf("photo of %s: %v", id, &os.PathError{Op: "openat", Path: id + ".jpg", Err: os.ErrPermission})
	if strings.Contains(buf.String(), id) {
		t.Errorf("log line: %q", buf.String())
	}
	// A photo folder whose file cannot be read (a directory in its place
	// is skipped; an unreadable file fails): the error is masked.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, id+".jpg"), bomb(t, 64), 0o000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := central.ReadPhotoDir(dir); err != nil && strings.Contains(err.Error(), id) {
		t.Errorf("photo import error names the whole identity number: %v", err)
	}
	// The central server's own logger masks what it is given.
	var slog bytes.Buffer
	cs := &central.Server{Log: log.New(&slog, "", 0)}
	cs.Handler()
	cs.Log.Printf("ingest of %s failed", id)
	if strings.Contains(slog.String(), id) || !strings.Contains(slog.String(), "110105********0039") {
		t.Errorf("central log: %q", slog.String())
	}
}

// N1, the kiosk's side: it learns the central's clock at every answer and
// refuses to certify while its own is more than 5 minutes off; it never
// records a certification earlier than its last one.
func TestKioskRefusesToCertifyOffClock(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	shift := 10 * time.Minute
	srv, _ := attacker(t, r, func(s *central.Server) { s.Now = func() time.Time { return time.Now().Add(shift) } })
	pass := func(ended time.Time) error {
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.roster[0].ID, StaffID: "A001",
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
			Started: ended.Add(-5 * time.Second), Ended: ended, Attempt: 1}
		return r.kiosk.SaveCertification(ctx, "staff:A001", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame(1)}})
	}
	if err := pass(time.Now()); err != nil {
		t.Fatalf("before any sync: %v", err)
	}
	c, err := terminal.ClientFor(ctx, r.kiosk)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = srv.URL
	// The central answers 401 clock_skew, and its clock with it.
	terminal.PullRoster(ctx, r.kiosk, c, "sync")
	off, _, known, err := r.kiosk.ClockOffset(ctx)
	if err != nil || !known || off < 9*time.Minute || off > 11*time.Minute {
		t.Fatalf("offset learned: %s %v %v, want about 10 minutes", off, known, err)
	}
	err = pass(time.Now())
	if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE || !strings.Contains(translation.Error(translation.Chinese, err), "相差 10 分钟") {
		t.Fatalf("certifying 10 minutes off the central's clock: %v (%s)", err, translation.Error(translation.Chinese, err))
	}
	shift = 0
	terminal.PullRoster(ctx, r.kiosk, c, "sync")
	if err := pass(time.Now()); err != nil {
		t.Fatalf("with the clock right again: %v", err)
	}
	if err := pass(time.Now().Add(-time.Hour)); certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE {
		t.Fatalf("a certification an hour before the last one: %v", err)
	}
}

// N13: re-enabling a revoked terminal (whose key may have leaked) takes a
// new enrollment with a new key; the old key never works again.
func TestReenabledTerminalNeedsANewKey(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	cs := r.store.(*sqlitestore.Store)
	c := r.client(t, "")
	oldKey := c.Key
	if err := cs.RevokeTerminal(ctx, c.Terminal); err != nil {
		t.Fatal(err)
	}
	token := central.NewToken()
	if err := cs.EnableTerminal(ctx, c.Terminal, central.TokenHash(token), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r.save(t, 1)
	ob, _ := r.kiosk.Outbox(ctx, 10, 1<<20)
	if a, _ := postBatch(t, r.srv.URL, c.Terminal, oldKey, []ksync.Record{terminal.ToRecord(ob[0])}, time.Now()); a.status != 401 {
		t.Fatalf("the old key after re-enabling: %d %s", a.status, a.body)
	}
	anon := &ksync.Client{BaseURL: r.srv.URL}
	if _, err := anon.Enroll(ctx, token, oldKey.Public().(ed25519.PublicKey)); err == nil {
		t.Fatal("the revoked key was enrolled again")
	}
	pub, key, _ := ed25519.GenerateKey(nil)
	if res, err := anon.Enroll(ctx, token, pub); err != nil || res.TerminalID != c.Terminal {
		t.Fatalf("enrollment with a new key: %+v %v", res, err)
	}
	if a, _ := postBatch(t, r.srv.URL, c.Terminal, key, []ksync.Record{terminal.ToRecord(ob[0])}, time.Now()); a.status != 200 {
		t.Fatalf("the new key: %d %s", a.status, a.body)
	}
}

// N12: behind the documented reverse proxy every request comes from one
// address. With the proxy trusted, clients are counted by the address it
// forwards: one client's flood does not rate-limit another, and a client
// that is not the proxy cannot pick its address with X-Forwarded-For.
func TestTrustedProxyClientAddresses(t *testing.T) {
	r := newRig(t)
	trusted, err := central.ParseTrustedProxies("127.0.0.1, 10.9.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := attacker(t, r, func(s *central.Server) {
		s.Clients = central.ClientAddrs{Trusted: trusted}
		s.RateLimit = central.RateLimit{Burst: 5, PerSecond: 0.001}
	})
	lookup := func(client *http.Client, xff string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+ksync.PathReceipts+"ABCD-EFGH-J?terminal=T-0001", nil)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	proxy := fromAddr("127.0.0.1")
	for i := 0; i < 8; i++ {
		lookup(proxy, "203.0.113.7, 10.9.1.1") // the flooding client, through a second trusted hop
	}
	if got := lookup(proxy, "203.0.113.7"); got != 429 {
		t.Errorf("the flooding client after 8 lookups: %d, want 429", got)
	}
	if got := lookup(proxy, "198.51.100.2"); got == 429 {
		t.Error("another client behind the same proxy was rate-limited")
	}
	// Not the proxy: its X-Forwarded-For is ignored, its own address counts.
	stranger := fromAddr("127.0.0.5")
	for i := 0; i < 5; i++ {
		lookup(stranger, fmt.Sprintf("192.0.2.%d", i+1))
	}
	if got := lookup(stranger, "192.0.2.99"); got != 429 {
		t.Errorf("a client that is not the proxy escaped its limit with X-Forwarded-For: %d", got)
	}
	c := central.ClientAddrs{Trusted: trusted}
	for xff, want := range map[string]string{"": "127.0.0.1", "garbage, 10.9.0.3": "127.0.0.1", "1.2.3.4": "1.2.3.4"} {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "127.0.0.1:5555"
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		if got := c.Addr(req); got != want {
			t.Errorf("X-Forwarded-For %q: %s, want %s", xff, got, want)
		}
	}
}

// F7: a kiosk that delivers only by USB carries its audit head in every
// bundle; the central anchors it on import, and a history rewritten on the
// kiosk's disk between two bundles raises an alarm there.
func TestBundlesCarryTheAuditHead(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 3)
	b, _, err := terminal.MakeBundle(ctx, r.kiosk, "kioskctl")
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := central.ImportBundle(ctx, r.store, r.keys, b, time.Now())
	if err != nil || rc.Audit == nil || rc.Audit.Status != ksync.AuditOK {
		t.Fatalf("first bundle: %+v %v", rc, err)
	}
	if _, err := terminal.ApplyReceipt(ctx, r.kiosk, "kioskctl", rc); err != nil {
		t.Fatalf("receipt with its audit answer: %v", err)
	}
	seq, _, _, _ := r.store.AuditState(ctx, "T-0001")
	if seq == 0 {
		t.Fatal("the bundle did not anchor the terminal's audit log")
	}
	r.save(t, 2)
	rewriteAudit(t, r.kiosk.SQL(), 3) // an erased lookup, the chain recomputed
	b, _, err = terminal.MakeBundle(ctx, r.kiosk, "kioskctl")
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err = central.ImportBundle(ctx, r.store, r.keys, b, time.Now())
	if err != nil || rc.Audit == nil || rc.Audit.Status != ksync.AuditMismatch {
		t.Fatalf("bundle after the rewrite: %+v %v", rc.Audit, err)
	}
	if _, _, alarms, _ := r.store.AuditState(ctx, "T-0001"); len(alarms) != 1 {
		t.Fatalf("alarms after the rewritten bundle: %+v", alarms)
	}
}

// N9: a terminal fetching reference photos gets only those of retirees on
// the live roster; every fetch is recorded at the central, and past the
// daily cap it gets 429 (and the central logs an alarm).
func TestPhotoFetchesAreCountedAndBounded(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var logged bytes.Buffer
	srv, _ := attacker(t, r, func(s *central.Server) { s.MaxPhotoFetches = 3; s.Log = log.New(&logged, "", 0) })
	cs := r.store.(*sqlitestore.Store)
	var entries []ksync.RosterEntry
	held := map[string][]byte{}
	for i, x := range r.roster[:5] {
		e := ksync.ToEntry(x)
		held[e.ID] = frame(i)
		e.PhotoSHA256 = central.PhotoSHA256(frame(i))
		entries = append(entries, e)
	}
	sealed, err := central.SealPhotos(r.keys.Recipient(), held)
	if err != nil {
		t.Fatal(err)
	}
	cs.PutPhotos(ctx, sealed)
	if _, _, _, err := cs.PutRoster(ctx, entries[:4]); err != nil { // the fifth left the roster
		t.Fatal(err)
	}
	c := r.client(t, srv.URL)
	var he *ksync.HTTPError
	if _, err := c.Photo(ctx, certkiosk.ResidentID(entries[4].ID)); !errors.As(err, &he) || he.Status != 404 {
		t.Fatalf("the photo of someone not on the roster: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Photo(ctx, certkiosk.ResidentID(entries[i].ID)); err != nil {
			t.Fatalf("fetch %d: %v", i+1, err)
		}
	}
	if _, err := c.Photo(ctx, certkiosk.ResidentID(entries[3].ID)); !errors.As(err, &he) || he.Status != 429 {
		t.Fatalf("a fetch past the daily cap: %v", err)
	}
	var n int
	cs.DB().QueryRow(`SELECT count(*) FROM photo_fetch WHERE terminal = ?`, c.Terminal).Scan(&n)
	if n != 4 {
		t.Errorf("%d photo fetches recorded, want 4", n)
	}
	if !strings.Contains(logged.String(), "ALARM") || strings.Contains(logged.String(), entries[3].ID) {
		t.Errorf("central log: %q", logged.String())
	}
}

// N5: a full roster download on SQLite reads a snapshot without the write
// lock: batches, nonces and contact changes go on while it streams.
func TestRosterDownloadHoldsNoWriteLock(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 60,000-retiree roster")
	}
	ctx := context.Background()
	cs, _ := openCentral(t, t.TempDir())
	var entries []ksync.RosterEntry
	for i := 0; len(entries) < 60000; i++ {
		id, err := certkiosk.CompleteResidentID(fmt.Sprintf("1101051950%02d%02d%03d", 1+i/(28*1000)%12, 1+i/1000%28, i%1000))
		if err != nil {
			continue
		}
		entries = append(entries, ksync.RosterEntry{ID: string(id), Name: "张三", Birth: "1950-01-01", LastCert: "2026-11-20",
			Address: strings.Repeat("北京市东城区和平里", 4)})
	}
	if _, _, _, err := cs.PutRoster(ctx, entries); err != nil {
		t.Fatal(err)
	}
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		for i := 0; i < 3; i++ {
			if _, err := cs.RosterSince(ctx, 0); err != nil {
				t.Error(err)
			}
		}
		done <- time.Since(start)
	}()
	var worst time.Duration
	for i := 0; ; i++ {
		select {
		case took := <-done:
			t.Logf("3 full downloads took %s; the slowest nonce meanwhile %s", took, worst)
			// Behind the write lock a nonce waited as long as a whole
			// download; without it, far less (1 s at most on a quiet machine).
			if one := took / 3; worst > one/2 && worst > time.Second {
				t.Fatalf("a nonce waited %s behind roster downloads of %s each", worst, one)
			}
			return
		default:
		}
		start := time.Now()
		if err := cs.UseNonce(ctx, "T-0001", fmt.Sprintf("%032x", i), time.Now()); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
}
