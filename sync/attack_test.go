package sync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// An attacking client, written against docs/sync-protocol.md: it sends
// what an unsigned stranger, a rogue terminal and a flood would send.

// zeros is an endless-looking body that costs the sender nothing.
type zeros struct{ left int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > z.left {
		n = z.left
	}
	clear(p[:n])
	z.left -= n
	return int(n), nil
}

// attacker serves the rig's storage with a Server configured by tune.
func attacker(t *testing.T, r *rig, tune func(*central.Server)) (*httptest.Server, *central.Server) {
	t.Helper()
	cs := &central.Server{Store: r.store, Keys: r.keys}
	if tune != nil {
		tune(cs)
	}
	srv := httptest.NewServer(cs.Handler())
	t.Cleanup(srv.Close)
	return srv, cs
}

type answer struct {
	status int
	code   string
	body   string
	header http.Header
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var er ksync.ErrorResponse
	json.Unmarshal(b, &er)
	return answer{resp.StatusCode, er.Code, string(b), resp.Header}
}

// signed makes a batch request signed by key for terminal at now.
func signed(t *testing.T, url, terminal string, key ed25519.PrivateKey, ctype string, body []byte, now time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+ksync.PathBatches, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	if err := ksync.Sign(req, terminal, key, body, now); err != nil {
		t.Fatal(err)
	}
	return req
}

func totalAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// F2: eight concurrent 32 MiB bodies without a valid signature are refused
// before a byte of them is read: the central allocates almost nothing.
func TestUnsignedJunkCostsNothing(t *testing.T) {
	r := newRig(t)
	srv, _ := attacker(t, r, func(s *central.Server) { s.RateLimit = central.RateLimit{Burst: 1000} })
	c := r.client(t, "")
	now := time.Now()
	kinds := []func(*http.Request){
		func(q *http.Request) {}, // no signature headers at all
		func(q *http.Request) { // headers for a terminal that does not exist
			q.Header.Set(ksync.HeaderTerminal, "T-9999")
			q.Header.Set(ksync.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
			q.Header.Set(ksync.HeaderNonce, strings.Repeat("ab", 16))
			q.Header.Set(ksync.HeaderSignature, strings.Repeat("A", 86)+"==")
		},
		func(q *http.Request) { // a real terminal, a stale clock
			q.Header.Set(ksync.HeaderTerminal, c.Terminal)
			q.Header.Set(ksync.HeaderTimestamp, strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
			q.Header.Set(ksync.HeaderNonce, strings.Repeat("ab", 16))
			q.Header.Set(ksync.HeaderSignature, strings.Repeat("A", 86)+"==")
		},
	}
	const size = 32 << 20
	before := totalAlloc()
	var wg gosync.WaitGroup
	results := make(chan answer, 8*len(kinds))
	for _, kind := range kinds {
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, srv.URL+ksync.PathBatches, &zeros{left: size})
				req.ContentLength = size
				req.Header.Set("Content-Type", ksync.ContentTypeBatch)
				kind(req)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					results <- answer{status: -1, body: err.Error()}
					return
				}
				var er ksync.ErrorResponse
				json.NewDecoder(resp.Body).Decode(&er)
				resp.Body.Close()
				results <- answer{status: resp.StatusCode, code: er.Code}
			}()
		}
	}
	wg.Wait()
	close(results)
	grew := totalAlloc() - before
	for a := range results {
		if a.status != 401 || (a.code != ksync.CodeBadSignature && a.code != ksync.CodeClockSkew) {
			t.Errorf("junk answered %d %q %s", a.status, a.code, a.body)
		}
	}
	t.Logf("24 unsigned 32 MiB requests: the process allocated %.1f MiB in all", float64(grew)/(1<<20))
	if grew > 8<<20 {
		t.Fatalf("unsigned junk cost %d MiB of allocations, want almost nothing", grew>>20)
	}
}

// F2: bodies are read only within a bounded number of upload slots, and
// one address holds at most MaxUploadsPerAddress of them.
func TestConcurrentUploadsAreBounded(t *testing.T) {
	for _, limits := range [][2]int{{2, 4}, {4, 2}} { // global cap reached; per-address cap reached
		t.Run(fmt.Sprintf("slots %d per address %d", limits[0], limits[1]), func(t *testing.T) {
			uploadsBounded(t, limits[0], limits[1])
		})
	}
}

func uploadsBounded(t *testing.T, slots, perAddr int) {
	r := newRig(t)
	srv, cs := attacker(t, r, func(s *central.Server) { s.MaxUploads, s.MaxUploadsPerAddress = slots, perAddr })
	c := r.client(t, "")
	var writers []*io.PipeWriter
	var wg gosync.WaitGroup
	for i := 0; i < 2; i++ {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+ksync.PathBatches, pr)
		req.ContentLength = 1 << 20
		// Signed over a body it will never finish: the headers pass, the
		// body holds a slot until the sender gives up.
		ksync.Sign(req, c.Terminal, c.Key, []byte("x"), time.Now())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		pw.Write([]byte("CKB1"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for cs.UploadsInFlight() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("slow uploads never took their slots (%d)", cs.UploadsInFlight())
		}
		time.Sleep(5 * time.Millisecond) // polling a gauge, not waiting for a guess
	}
	r.save(t, 1)
	batch, _ := r.kiosk.Outbox(context.Background(), 10, 1<<20)
	body, _ := ksync.EncodeBatch(ksync.Batch{Records: []ksync.Record{terminal.ToRecord(batch[0])}})
	a := send(t, signed(t, srv.URL, c.Terminal, c.Key, ksync.ContentTypeBatch, body, time.Now()))
	if a.status != 503 || a.code != ksync.CodeBusy || a.header.Get("Retry-After") == "" {
		t.Fatalf("third upload while two are held: %d %q, want 503 busy with Retry-After", a.status, a.code)
	}
	if cs.UploadsInFlight() != 2 {
		t.Fatalf("%d uploads in flight, want the 2 held", cs.UploadsInFlight())
	}
	for _, pw := range writers {
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	wg.Wait()
	for cs.UploadsInFlight() != 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if a := send(t, signed(t, srv.URL, c.Terminal, c.Key, ksync.ContentTypeBatch, body, time.Now())); a.status != 200 {
		t.Fatalf("upload after the slots were freed: %d %s", a.status, a.body)
	}
}

// F3: limits are enforced while decoding; a signed batch past them is 413
// and costs about its body, never a multiple of it per record.
func TestSignedBatchLimits(t *testing.T) {
	r := newRig(t)
	srv, _ := attacker(t, r, nil)
	c := r.client(t, "")
	r.save(t, 1)
	out, _ := r.kiosk.Outbox(context.Background(), 1, 1<<20)
	rec := terminal.ToRecord(out[0])

	tiny := bytes.Repeat([]byte(`{},`), (4<<20)/3)
	tinyBody := append(append([]byte(`{"records":[`), tiny[:len(tiny)-1]...), ']', '}')
	before := totalAlloc()
	a := send(t, signed(t, srv.URL, c.Terminal, c.Key, "application/json", tinyBody, time.Now()))
	grew := totalAlloc() - before
	if a.status != 413 || a.code != ksync.CodeTooLarge {
		t.Fatalf("4 MiB of tiny records: %d %q, want 413 too_large", a.status, a.code)
	}
	t.Logf("signed 4 MiB batch of 1.4 million tiny records: 413, %.1f MiB allocated", float64(grew)/(1<<20))
	if grew > 24<<20 {
		t.Fatalf("a 4 MiB batch cost %d MiB", grew>>20)
	}

	many := make([]ksync.Record, ksync.MaxBatchRecords+1)
	for i := range many {
		many[i] = rec
	}
	bigHeader := rec
	bigHeader.Metrics = json.RawMessage(`{"x":"` + strings.Repeat("a", ksync.MaxMetricsBytes) + `"}`)
	bigEvidence := rec
	bigEvidence.Evidence = []ksync.Evidence{{Kind: "best_frame", SHA256: "00", Ciphertext: make([]byte, ksync.MaxEvidenceBytes+1)}}
	three := rec
	three.Evidence = []ksync.Evidence{rec.Evidence[0], rec.Evidence[0], rec.Evidence[0]}
	for name, b := range map[string]ksync.Batch{
		"201 records":            {Records: many},
		"metrics past 16 KiB":    {Records: []ksync.Record{bigHeader}},
		"evidence past 4 MiB":    {Records: []ksync.Record{bigEvidence}},
		"three evidence objects": {Records: []ksync.Record{three}},
	} {
		for _, framed := range []bool{true, false} {
			var body []byte
			ctype := "application/json"
			if framed {
				body, _ = ksync.EncodeBatch(b)
				ctype = ksync.ContentTypeBatch
			} else {
				body, _ = json.Marshal(b)
			}
			if a := send(t, signed(t, srv.URL, c.Terminal, c.Key, ctype, body, time.Now())); a.status != 413 || a.code != ksync.CodeTooLarge {
				t.Errorf("%s (framed %v): %d %q, want 413 too_large", name, framed, a.status, a.code)
			}
		}
	}
	// A framed header length past 2 MiB is refused from its length field.
	hdr := []byte{'C', 'K', 'B', '1', 0, 0x30, 0, 0}
	if a := send(t, signed(t, srv.URL, c.Terminal, c.Key, ksync.ContentTypeBatch, append(hdr, make([]byte, 1<<10)...), time.Now())); a.status != 413 {
		t.Errorf("framed header length 3 MiB: %d %q", a.status, a.code)
	}
	// Content-Length past 16 MiB: refused before the body is read.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+ksync.PathBatches, &zeros{left: ksync.MaxBodyBytes + 1})
	req.ContentLength = ksync.MaxBodyBytes + 1
	ksync.Sign(req, c.Terminal, c.Key, nil, time.Now())
	if a := send(t, req); a.status != 413 || a.code != ksync.CodeTooLarge {
		t.Errorf("Content-Length past the cap: %d %q", a.status, a.code)
	}
	// 200 records is within the limits.
	var ok ksync.Batch
	r.save(t, 199)
	all, _ := r.kiosk.Outbox(context.Background(), 200, 1<<30)
	for _, o := range all {
		ok.Records = append(ok.Records, terminal.ToRecord(o))
	}
	body, _ := ksync.EncodeBatch(ok)
	if a := send(t, signed(t, srv.URL, c.Terminal, c.Key, ksync.ContentTypeBatch, body, time.Now())); a.status != 200 {
		t.Fatalf("200 records: %d %s", a.status, a.body)
	}
}

// F9: whoever cannot sign as a terminal gets one answer, whether the
// terminal exists, is revoked or is unknown.
func TestAuthenticationFailuresLookAlike(t *testing.T) {
	r := newRig(t)
	srv, _ := attacker(t, r, nil)
	c := r.client(t, "")
	ctx := context.Background()
	token := central.NewToken()
	r.store.AddTerminal(ctx, "T-0002", "x", central.TokenHash(token), time.Now(), time.Now().Add(time.Hour)) // not enrolled
	r.store.AddTerminal(ctx, "T-0003", "x", central.TokenHash(central.NewToken()), time.Now(), time.Now().Add(time.Hour))
	_, key3, _ := ed25519.GenerateKey(rand.Reader)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	// T-0004: enrolled, then revoked.
	tok4 := central.NewToken()
	r.store.AddTerminal(ctx, "T-0004", "x", central.TokenHash(tok4), time.Now(), time.Now().Add(time.Hour))
	pub4, key4, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := r.store.Enroll(ctx, central.TokenHash(tok4), pub4, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.store.RevokeTerminal(ctx, "T-0004")
	body := []byte(`{"records":[]}`)
	seen := map[string]string{}
	for name, req := range map[string]*http.Request{
		"unknown terminal":    signed(t, srv.URL, "T-9999", stranger, "application/json", body, time.Now()),
		"not yet enrolled":    signed(t, srv.URL, "T-0002", key3, "application/json", body, time.Now()),
		"enrolled, wrong key": signed(t, srv.URL, c.Terminal, stranger, "application/json", body, time.Now()),
		"revoked, wrong key":  signed(t, srv.URL, "T-0004", stranger, "application/json", body, time.Now()),
		"malformed headers": func() *http.Request {
			q, _ := http.NewRequest("POST", srv.URL+ksync.PathBatches, bytes.NewReader(body))
			q.Header.Set(ksync.HeaderTerminal, c.Terminal)
			return q
		}(),
	} {
		a := send(t, req)
		seen[fmt.Sprintf("%d %s", a.status, a.body)] += name + "; "
	}
	if len(seen) != 1 {
		t.Fatalf("authentication failures are told apart: %v", seen)
	}
	for k := range seen {
		if !strings.HasPrefix(k, "401 ") || !strings.Contains(k, ksync.CodeBadSignature) {
			t.Fatalf("answer %s, want 401 bad_signature", k)
		}
	}
	// Only the revoked terminal itself, signing right, learns it is revoked.
	if a := send(t, signed(t, srv.URL, "T-0004", key4, "application/json", body, time.Now())); a.status != 403 || a.code != ksync.CodeRevoked {
		t.Fatalf("revoked terminal signing right: %d %q", a.status, a.code)
	}
	// Roster download too.
	q, _ := http.NewRequest(http.MethodGet, srv.URL+ksync.PathRoster+"?since=0", nil)
	ksync.Sign(q, "T-0004", stranger, nil, time.Now())
	if a := send(t, q); a.status != 401 || a.code != ksync.CodeBadSignature {
		t.Fatalf("roster for a revoked terminal, wrong key: %d %q", a.status, a.code)
	}
}

// F14: unauthenticated endpoints and failed authentications spend a
// per-address budget; past it, 429 with Retry-After; it refills with time.
func TestRateLimits(t *testing.T) {
	r := newRig(t)
	var mu gosync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, _ := attacker(t, r, func(s *central.Server) {
		s.RateLimit = central.RateLimit{Burst: 5, PerSecond: 1}
		s.Now = clock
	})
	get := func(path string) answer {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		return send(t, req)
	}
	paths := []string{ksync.PathHealth, ksync.PathMetrics, ksync.PathReceipts + "0000-0000-0?terminal=T-0001", ksync.PathHealth, ksync.PathHealth}
	for _, p := range paths {
		if a := get(p); a.status == 429 {
			t.Fatalf("%s refused within the burst", p)
		}
	}
	for _, p := range []string{ksync.PathHealth, ksync.PathMetrics, ksync.PathReceipts + "0000-0000-0?terminal=T-0001"} {
		if a := get(p); a.status != 429 || a.code != ksync.CodeRateLimited || a.header.Get("Retry-After") == "" {
			t.Fatalf("%s past the burst: %d %q", p, a.status, a.code)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+ksync.PathEnroll, strings.NewReader(`{"token":"x","public_key":"x"}`))
	if a := send(t, req); a.status != 429 {
		t.Fatalf("enroll past the burst: %d", a.status)
	}
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	// Three tokens back; failed signatures spend them too.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	for i := 0; i < 3; i++ {
		if a := send(t, signed(t, srv.URL, "T-9999", stranger, "application/json", []byte(`{}`), clock())); a.status != 401 {
			t.Fatalf("failed signature %d: %d", i, a.status)
		}
	}
	if a := send(t, signed(t, srv.URL, "T-9999", stranger, "application/json", []byte(`{}`), clock())); a.status != 429 {
		t.Fatalf("failed signatures past the budget: %d %q", a.status, a.code)
	}
}

// F14: a kiosk speaks plain HTTP only to loopback.
func TestKioskPlainHTTPOnlyToLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8443": true, "http://localhost:8443": true, "http://[::1]:8443": true,
		"http://10.0.0.5:8443": false, "http://central.example:8443": false, "http://127.0.0.1.example:80": false,
		"https://central.example:8443": true,
	} {
		if err := ksync.CheckURL(url, true); (err == nil) != ok {
			t.Errorf("CheckURL(%s, insecure): %v, want ok=%v", url, err, ok)
		}
	}
}

// F4, F5 over the wire: a record whose frames came from a file is refused
// and shown to staff; receipt lookups are bound to their terminal.
func TestFrameSourceAndReceiptLookupOverTheWire(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 1) // from the camera
	c := &certkiosk.Certification{FrameSource: certkiosk.FrameFile, RetireeID: r.roster[1].ID, StaffID: "A001",
		Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Started: time.Now().Add(-time.Second), Ended: time.Now(), Attempt: 1}
	if err := r.kiosk.SaveCertification(ctx, "t", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame(9)}}); err != nil {
		t.Fatal(err)
	}
	res, err := (&terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}).SyncOnce(ctx)
	if err != nil || res.Acked != 1 || res.Conflicts != 1 {
		t.Fatalf("sync: %+v %v, want the camera record acked and the file one refused", res, err)
	}
	counts, _ := r.kiosk.SyncCounts(ctx)
	if counts.Refused != 1 {
		t.Fatalf("kiosk counts %+v, want the file record refused", counts)
	}
	camera, _ := r.kiosk.Certification(ctx, r.saved[0])
	get := func(path string) answer {
		q, _ := http.NewRequest(http.MethodGet, r.srv.URL+path, nil)
		return send(t, q)
	}
	if a := get(ksync.PathReceipts + string(camera.Receipt)); a.status != 400 {
		t.Fatalf("lookup without the terminal: %d, want 400", a.status)
	}
	if a := get(ksync.PathReceipts + string(camera.Receipt) + "?terminal=T-0666"); a.status != 404 {
		t.Fatalf("lookup for another terminal: %d, want 404", a.status)
	}
	a := get(ksync.PathReceipts + strings.ToLower(string(camera.Receipt)) + "?terminal=" + camera.Terminal)
	var st central.ReceiptStatus
	json.Unmarshal([]byte(a.body), &st)
	if a.status != 200 || st.RecordID != camera.ID || st.FrameSource != "camera" || st.Review {
		t.Fatalf("lookup of the camera record: %d %s", a.status, a.body)
	}
	if a := get(ksync.PathReceipts + string(c.Receipt) + "?terminal=" + camera.Terminal); a.status != 404 {
		t.Fatalf("the refused file record answers a lookup: %d", a.status)
	}
}

// F4, F13: demo data (invented people, the published demo PIN) is never
// enrolled with a central.
func TestDemoDataIsNeverEnrolled(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	demo, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer demo.Close()
	demo.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	if err := store.SeedDemo(ctx, demo); err != nil {
		t.Fatal(err)
	}
	tok := central.NewToken()
	r.store.AddTerminal(ctx, "T-0100", "demo", central.TokenHash(tok), time.Now(), time.Now().Add(time.Hour))
	if _, err := terminal.Enroll(ctx, demo, "t", r.srv.URL, tok, true, ""); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("enrolling demo data: %v, want a refusal", err)
	}
}

// F3 on the kiosk's side: a record past the limits is refused locally, so
// it never makes the central refuse the batches it would travel in.
func TestKioskKeepsRecordsPastTheLimitsOut(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 2)
	big := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: r.roster[3].ID, StaffID: "A001",
		Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Started: time.Now().Add(-time.Second), Ended: time.Now(),
		Attempt: 1, Metrics: []byte(`{"x":"` + strings.Repeat("a", ksync.MaxMetricsBytes) + `"}`)}
	if err := r.kiosk.SaveCertification(ctx, "t", big, nil); err != nil {
		t.Fatal(err)
	}
	r.save(t, 1)
	res, err := (&terminal.Worker{DB: r.kiosk, Client: r.client(t, ""), BatchRecords: 2}).SyncOnce(ctx)
	if err != nil || res.Acked != 3 {
		t.Fatalf("sync: %+v %v, want the 3 records within the limits acked", res, err)
	}
	counts, _ := r.kiosk.SyncCounts(ctx)
	if counts.Refused != 1 || counts.Pending != 0 {
		t.Fatalf("kiosk counts %+v, want the oversized record refused locally", counts)
	}
}

// A terminal cannot enroll a small-order public key, under which anybody
// could sign as it (found by FuzzSignedHeaders).
func TestEnrollRefusesSmallOrderKeys(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	tok := central.NewToken()
	r.store.AddTerminal(ctx, "T-0200", "x", central.TokenHash(tok), time.Now(), time.Now().Add(time.Hour))
	body := `{"token":"` + tok + `","public_key":"` + strings.Repeat("A", 43) + `="}` // 32 zero bytes
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+ksync.PathEnroll, strings.NewReader(body))
	if a := send(t, req); a.status != 400 || a.code != ksync.CodeInvalid {
		t.Fatalf("enroll with the zero key: %d %s", a.status, a.body)
	}
	if term, _ := r.store.Terminal(ctx, "T-0200"); term.PublicKey != nil {
		t.Fatal("the zero key was bound")
	}
}
