package sync_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
	"certkiosk/sync/central"
	"certkiosk/sync/central/console"
	"certkiosk/sync/central/sqlitestore"
	"certkiosk/sync/central/storetest"
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
		{ID: inTime, Name: "张三", Birth: inTime[6:10] + "-01-01", LastCert: console.DayOf(now).String()},
		{ID: lapsed, Name: "李四", Birth: lapsed[6:10] + "-01-01", LastCert: console.DayOf(now.AddDate(0, 0, -400)).String()},
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
	if ret, _ := cs.Retiree(ctx, lapsed); ret.Last != console.DayOf(now.AddDate(0, 0, -400)) {
		t.Errorf("the held pass moved 李四's last certification to %s", ret.Last)
	}
	if ret, _ := cs.Retiree(ctx, inTime); ret.Last != console.DayOf(now) {
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
