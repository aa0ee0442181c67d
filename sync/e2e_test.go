package sync_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/sqlitestore"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// rig is a central service on loopback and an enrolled kiosk.
type rig struct {
	srv     *httptest.Server
	store   central.Storage
	keys    *central.Keys
	central *central.Server
	kiosk   *store.DB
	roster  []certkiosk.Retiree
	saved   []string
}

func newRig(t testing.TB) *rig {
	t.Helper()
	cs, _ := openCentral(t, filepath.Join(t.TempDir(), "central"))
	return newRigWith(t, cs, "T-0001")
}

// openCentral opens an SQLite central store and the central's keys in dir,
// closed when the test ends.
func openCentral(t testing.TB, dir string) (*sqlitestore.Store, *central.Keys) {
	t.Helper()
	cs, err := sqlitestore.Open(context.Background(), filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	keys, err := central.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cs, keys
}

// newRigWith serves storage cs and enrolls one kiosk as terminal id.
func newRigWith(t testing.TB, cs central.Storage, id string) *rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	keys, err := central.LoadOrCreateKeys(filepath.Join(dir, "central"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{store: cs, keys: keys}
	r.central = &central.Server{Store: cs, Keys: keys}
	r.srv = httptest.NewServer(r.central.Handler())
	t.Cleanup(r.srv.Close)

	r.kiosk, err = store.Open(ctx, filepath.Join(dir, "kiosk"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.kiosk.Close() })
	r.kiosk.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	r.roster, _ = store.DemoRoster(30, 5, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	if err := r.kiosk.PutRetirees(ctx, r.roster, true); err != nil {
		t.Fatal(err)
	}
	if err := r.kiosk.AddStaff(ctx, "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleOperator}, "246810"); err != nil {
		t.Fatal(err)
	}
	token := central.NewToken()
	if err := cs.AddTerminal(ctx, id, "东城", central.TokenHash(token), time.Now(), time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.Enroll(ctx, r.kiosk, "t", r.srv.URL, token, true, ""); err != nil {
		t.Fatal(err)
	}
	return r
}

func frame(i int) []byte {
	img := image.NewGray(image.Rect(0, 0, 64, 64))
	for j := range img.Pix {
		img.Pix[j] = uint8(j*7 + i)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

func (r *rig) save(t testing.TB, n int) {
	r.saveWith(t, n, nil)
}

// saveWith saves n passes; evidence is frame(i) unless ev is given.
func (r *rig) saveWith(t testing.TB, n int, ev []byte) {
	t.Helper()
	for i := 0; i < n; i++ {
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.roster[i%len(r.roster)].ID, StaffID: "A001",
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
			Started: time.Now().Add(-5 * time.Second), Ended: time.Now(), Attempt: 1}
		data := ev
		if data == nil {
			data = frame(i)
		}
		if err := r.kiosk.SaveCertification(context.Background(), "staff:A001", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: data}}); err != nil {
			t.Fatal(err)
		}
		r.saved = append(r.saved, c.ID)
	}
}

func (r *rig) client(t testing.TB, base string) *ksync.Client {
	c, err := terminal.ClientFor(context.Background(), r.kiosk)
	if err != nil {
		t.Fatal(err)
	}
	if base != "" {
		c.BaseURL = base
	}
	return c
}

// exactlyOnce checks every saved record is on the central once, and no
// record is acknowledged that the central lacks.
func (r *rig) exactlyOnce(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st, err := r.store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != len(r.saved) || st.Conflicts != 0 {
		t.Fatalf("central has %d records (%d conflicts), kiosk saved %d", st.Records, st.Conflicts, len(r.saved))
	}
	if st.AuditAlarms != 0 { // lost answers and retries must not look like a rewritten log
		t.Fatalf("central raised %d audit alarm(s) for an honest terminal", st.AuditAlarms)
	}
	acked, _ := r.kiosk.ListCertifications(ctx, store.CertFilter{State: certkiosk.SyncAcked, Limit: 100000})
	for _, c := range acked {
		if _, err := r.store.Receipt(ctx, c.Terminal, string(c.Receipt)); err != nil {
			t.Fatalf("record %s acknowledged but not on the central: %v", c.ID, err)
		}
	}
	counts, _ := r.kiosk.SyncCounts(ctx)
	if counts.Pending != 0 || counts.Acked != len(r.saved) {
		t.Fatalf("kiosk counts %+v, want all %d acked", counts, len(r.saved))
	}
}

func TestSyncEndToEnd(t *testing.T) {
	r := newRig(t)
	r.save(t, 450)
	var events []terminal.Progress
	w := &terminal.Worker{DB: r.kiosk, Client: r.client(t, ""), BatchRecords: 200,
		OnProgress: func(p terminal.Progress) { events = append(events, p) }}
	res, err := w.SyncOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 450 || res.Acked != 450 || res.Pending != 0 || res.Conflicts != 0 {
		t.Fatalf("result %+v", res)
	}
	if len(events) != 4 || events[0].Sent != 200 || events[0].Total != 450 || !events[3].Done {
		t.Fatalf("progress events %+v", events)
	}
	r.exactlyOnce(t)
	// Evidence arrived byte for byte, and opens with the central's identity.
	ev, _ := r.kiosk.EvidenceOf(context.Background(), r.saved[7])
	found := false
	r.store.EachEvidence(context.Background(), func(id, kind string, ct []byte) error {
		if id == r.saved[7] {
			found = bytes.Equal(ct, ev[0].Ciphertext)
		}
		return nil
	})
	if !found {
		t.Fatal("evidence on the central differs from the kiosk's")
	}
	// Nothing left: a second run sends nothing.
	if res, err := w.SyncOnce(context.Background()); err != nil || res.Sent != 0 {
		t.Fatalf("second run: %+v %v", res, err)
	}
}

// faultProxy sits between kiosk and central and misbehaves on purpose.
type faultProxy struct {
	target *url.URL
	mode   atomic.Value // string
	n      atomic.Int64
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := f.n.Add(1)
	mode, _ := f.mode.Load().(string)
	rp := httputil.NewSingleHostReverseProxy(f.target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the faults are on purpose
	switch {
	case mode == "500" && k%2 == 1:
		http.Error(w, `{"code":"internal","message":"injected"}`, http.StatusInternalServerError)
	case mode == "429" && k%2 == 1:
		w.WriteHeader(http.StatusTooManyRequests)
	case mode == "drop-request" && k%2 == 1:
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		c.Close() // the central never sees it
	case mode == "drop-response" && k%2 == 1, mode == "truncate" && k%2 == 1:
		// The central ingests; the kiosk loses (or gets half) the answer.
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r)
		hj, _ := w.(http.Hijacker)
		c, buf, _ := hj.Hijack()
		if mode == "truncate" {
			body := rec.Body.Bytes()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
			buf.Write(body[:len(body)/2])
			buf.Flush()
		}
		c.Close()
	case mode == "slow" && k%2 == 1:
		time.Sleep(300 * time.Millisecond) // past the client's timeout
		rp.ServeHTTP(w, r)
	case mode == "duplicate":
		// Deliver every request twice, as a retrying middlebox might: the
		// kiosk gets the first answer; the copy must change nothing.
		body, _ := io.ReadAll(r.Body)
		r2 := r.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r2.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r)
		copyAnswer := httptest.NewRecorder()
		rp.ServeHTTP(copyAnswer, r2)
		if copyAnswer.Code != http.StatusUnauthorized {
			panic(fmt.Sprintf("a replayed request was answered %d", copyAnswer.Code))
		}
	default:
		rp.ServeHTTP(w, r)
	}
}

func TestSyncExactlyOnceUnderFaults(t *testing.T) {
	for _, mode := range []string{"500", "429", "drop-request", "drop-response", "truncate", "slow", "duplicate"} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t)
			u, _ := url.Parse(r.srv.URL)
			fp := &faultProxy{target: u}
			fp.mode.Store(mode)
			proxy := httptest.NewServer(fp)
			defer proxy.Close()
			r.save(t, 120)
			c := r.client(t, proxy.URL)
			c.HTTP.Timeout = 200 * time.Millisecond
			w := &terminal.Worker{DB: r.kiosk, Client: c, BatchRecords: 25}
			var failures int
			for i := 0; i < 60; i++ {
				res, err := w.SyncOnce(context.Background())
				if err == nil && res.Pending == 0 {
					break
				}
				if err != nil {
					failures++
					if !ksync.Retryable(err) {
						t.Fatalf("%s: a %v is not retryable", mode, err)
					}
				}
			}
			if mode != "duplicate" && failures == 0 {
				t.Fatalf("%s: the fault never happened", mode)
			}
			r.exactlyOnce(t)
			if mode == "drop-response" || mode == "truncate" {
				if st, _ := r.store.Stats(context.Background()); st.Duplicates == 0 {
					t.Fatalf("%s: no duplicate was seen by the central", mode)
				}
			}
		})
	}
}

func TestWorkerRunStopsAndSyncNow(t *testing.T) {
	r := newRig(t)
	var mu gosync.Mutex
	done := 0
	w := &terminal.Worker{DB: r.kiosk, Client: r.client(t, ""), Interval: time.Hour,
		OnProgress: func(p terminal.Progress) {
			if p.Done {
				mu.Lock()
				done++
				mu.Unlock()
			}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { w.Run(ctx); close(stopped) }()
	waitFor := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			d := done
			mu.Unlock()
			if d >= n {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("worker did not finish run %d", n)
	}
	waitFor(1) // the first run, at once
	r.save(t, 10)
	w.SyncNow() // not waiting an hour
	waitFor(2)
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("worker did not stop")
	}
	r.exactlyOnce(t)
}

// Records saved before enrollment (on a laptop used before the central
// was reachable) sync under the terminal ID enrollment gives.
func TestRecordsSavedBeforeEnrollmentSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cs, keys := openCentral(t, dir)
	srv := httptest.NewServer((&central.Server{Store: cs, Keys: keys}).Handler())
	defer srv.Close()
	kiosk, _ := store.Open(ctx, filepath.Join(dir, "kiosk"))
	defer kiosk.Close()
	kiosk.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	// Staff, a roster and a local evidence key, as kioskctl init and roster import make them.
	if err := kiosk.AddStaff(ctx, "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleAdmin}, "135790"); err != nil {
		t.Fatal(err)
	}
	if _, err := kiosk.CreateLocalEvidenceKey(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	r := &rig{kiosk: kiosk, store: cs}
	r.roster, _ = store.DemoRoster(30, 1, certkiosk.DateOf(time.Now()))
	if err := kiosk.PutRetirees(ctx, r.roster, false); err != nil {
		t.Fatal(err)
	}
	// The office added the terminal; the kiosk certifies before it can
	// reach the central to enroll. Those records are held for review
	// (central.CheckRecordTime), but they sync.
	tok := central.NewToken()
	cs.AddTerminal(ctx, "T-0042", "上门", central.TokenHash(tok), time.Now(), time.Now().Add(time.Hour))
	ids, _ := kiosk.ListRetireeIDs(ctx, 5)
	for i, id := range ids {
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: id, StaffID: "A001", Method: certkiosk.MethodBlink,
			Verdict: certkiosk.VerdictPass, Started: time.Now(), Ended: time.Now(), Attempt: 1}
		if err := kiosk.SaveCertification(ctx, "t", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame(i)}}); err != nil {
			t.Fatal(err)
		}
		if c.Terminal != store.Unenrolled {
			t.Fatalf("terminal before enrollment: %q", c.Terminal)
		}
		r.saved = append(r.saved, c.ID)
	}
	if _, err := terminal.Enroll(ctx, kiosk, "t", srv.URL, tok, true, ""); err != nil {
		t.Fatal(err)
	}
	res, err := (&terminal.Worker{DB: kiosk, Client: r.client(t, "")}).SyncOnce(ctx)
	if err != nil || res.Acked != 5 || res.Conflicts != 0 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	r.exactlyOnce(t)
}

// seen records that the kiosk certified each of ids (a pass) and delivers
// the records to the central: the in-person visit that earns a contact
// change there (issue 23, N2).
func (r *rig) seen(t testing.TB, ids ...certkiosk.ResidentID) {
	t.Helper()
	ctx := context.Background()
	for i, id := range ids {
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: id, StaffID: "A001",
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
			Started: time.Now().Add(-5 * time.Second), Ended: time.Now(), Attempt: 1}
		if err := r.kiosk.SaveCertification(ctx, "staff:A001", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame(i)}}); err != nil {
			t.Fatal(err)
		}
		r.saved = append(r.saved, c.ID)
	}
	ob, err := r.kiosk.Outbox(ctx, 200, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var b ksync.Batch
	for _, o := range ob {
		b.Records = append(b.Records, terminal.ToRecord(o))
	}
	res, err := r.client(t, "").SendBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res.Results {
		if !ksync.Acknowledged(x.Status) {
			t.Fatalf("record %s: %s %s", x.ID, x.Status, x.Error)
		}
	}
}
