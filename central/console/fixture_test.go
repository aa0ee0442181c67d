package console_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/console"
	"certkiosk/central/pgstore"
	"certkiosk/central/sqlitestore"
	ksync "certkiosk/sync"

	"filippo.io/age"
	"github.com/google/uuid"
)

// clock is a settable time for sessions, lockouts and "today".
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// testKDF makes test accounts quick to sign in to.
var testKDF = console.KDF{Time: 1, Memory: 8 * 1024, Threads: 1}

// Today in the fixture: 10 December 2026, 10:00 in China.
var fixtureNow = time.Date(2026, 12, 10, 10, 0, 0, 0, central.China)

// person is one retiree of the fixture roster with what happens to them.
type person struct {
	key, name, last string // last: roster's last certification ("" none)
	passes          []string
	manual          string // a manual-review record's day (approved in the test)
	heldPass        string // a pass with no frame source: held for review, never counts by itself
	fail3           string // a third failed attempt
}

// fixture is a roster whose due dates are known (today 2026-12-10):
//
//	A last 2025-11-27 → due 2026-11-27 → suspended from 2026-12
//	B last 2025-12-10 → due today (in time, due list)
//	C last 2025-12-31 → due 2026-12-31 (due list); suspended from 2027-01
//	D last 2025-10-20, passes 2026-12-05 → suspended 2026-11…12, resumes 2027-01, 2 months back in 2027-01
//	E last 2025-10-20, passes 2026-11-20 → suspended 2026-11, resumes 2026-12, 1 month back in 2027-01 (after the 15th)
//	F last 2025-11-30, manual review 2026-12-08 approved 2026-12-10 → suspended 2026-12, resumes 2027-01
//	G last 2026-03-15 → in time
//	H last 2024-02-29, passes 2025-02-28 → due 2026-02-28 → suspended from 2026-03
//	I never certified → unknown, on no list
//	J last 2025-11-27, passes 2026-11-27 (the due day) → in time
//	L last 2026-06-01, third failed attempt 2026-12-09 → in the queue, in time
//	N last 2025-11-01, held pass 2026-11-15 (not from a camera) → suspended from 2026-12
var fixture = []person{
	{key: "A", name: "安一", last: "2025-11-27"},
	{key: "B", name: "白二", last: "2025-12-10"},
	{key: "C", name: "陈三", last: "2025-12-31"},
	{key: "D", name: "邓四", last: "2025-10-20", passes: []string{"2026-12-05"}},
	{key: "E", name: "鄂五", last: "2025-10-20", passes: []string{"2026-11-20"}},
	{key: "F", name: "冯六", last: "2025-11-30", manual: "2026-12-08"},
	{key: "G", name: "高七", last: "2026-03-15"},
	{key: "H", name: "黄八", last: "2024-02-29", passes: []string{"2025-02-28"}},
	{key: "I", name: "伊九", last: ""},
	{key: "J", name: "金十", last: "2025-11-27", passes: []string{"2026-11-27"}},
	{key: "L", name: "李十一", last: "2026-06-01", fail3: "2026-12-09"},
	{key: "N", name: "牛十二", last: "2025-11-01", heldPass: "2026-11-15"},
}

// idOf gives each fixture person a valid identity number, in key order.
func idOf(t testing.TB, key string) string {
	t.Helper()
	n := int(key[0] - 'A')
	id, err := certkiosk.CompleteResidentID(fmt.Sprintf("11010519%02d0101%03d", 40+n, 100+n))
	if err != nil {
		t.Fatal(err)
	}
	return string(id)
}

type env struct {
	t      *testing.T
	st     central.ConsoleStorage
	keys   *central.Keys
	clock  *clock
	srv    *console.Server
	ts     *httptest.Server
	frames map[string][]byte // record ID → JPEG sent
	ids    map[string]string // key → identity number
	recs   map[string]string // key → record ID of its manual / held / fail3 record
}

// newEnv is a console over a fresh SQLite store.
func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), t.TempDir()+"/central.db")
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, st)
}

// newPostgresEnv is a console over a fresh PostgreSQL database on the
// server CERTKIOSK_PG_URL names (as the pgstore suite: fails under CI
// without one, skips loudly elsewhere).
func newPostgresEnv(t *testing.T) *env {
	t.Helper()
	url := os.Getenv("CERTKIOSK_PG_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but CERTKIOSK_PG_URL is not set: .ci/run must start PostgreSQL")
		}
		t.Skip("!!! console PostgreSQL tests NOT RUN: set CERTKIOSK_PG_URL=postgres://… (scripts/postgres.sh starts a local server)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("certkiosk_console_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", url); err == nil {
			a.Exec("DROP DATABASE " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	st, err := pgstore.Open(ctx, replaceDB(url, name))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, st)
}

func newEnvWith(t *testing.T, st central.ConsoleStorage) *env {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	dir := t.TempDir()
	keys, err := central.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, st: st, keys: keys, clock: &clock{t: fixtureNow}, frames: map[string][]byte{},
		ids: map[string]string{}, recs: map[string]string{}}
	e.srv = &console.Server{Store: st, Keys: keys, Now: e.clock.Now}
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	e.addUser("R001", "复核员", central.RoleReviewer, "135790")
	e.addUser("A001", "管理员", central.RoleAdmin, "246810")
	return e
}

func (e *env) addUser(id, name, role, pin string) {
	e.t.Helper()
	h, err := console.HashPIN(pin, testKDF)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.AddConsoleUser(context.Background(), central.User{ID: id, Name: name, Role: role}, h, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// loadFixture imports the roster and sends each person's records from
// terminal T-0001.
func (e *env) loadFixture() {
	e.t.Helper()
	ctx := context.Background()
	var entries []ksync.RosterEntry
	for _, p := range fixture {
		id := idOf(e.t, p.key)
		e.ids[p.key] = id
		entries = append(entries, ksync.RosterEntry{ID: id, Name: p.name, Birth: id[6:10] + "-01-01", LastCert: p.last,
			Phone: "1380013" + fmt.Sprintf("%04d", int(p.key[0])), Address: "北京市东城区" + p.key + "街1号"})
	}
	if _, _, _, err := e.st.PutRoster(ctx, entries); err != nil {
		e.t.Fatal(err)
	}
	var recs []ksync.Record
	for _, p := range fixture {
		for _, d := range p.passes {
			recs = append(recs, e.record(p.key, d, "pass", 1, ksync.FrameCamera))
		}
		if p.manual != "" {
			r := e.record(p.key, p.manual, "manual_review", 1, ksync.FrameCamera)
			r.Reason = "眨眼检测未通过，转人工"
			e.recs[p.key] = r.ID
			recs = append(recs, r)
		}
		if p.heldPass != "" {
			r := e.record(p.key, p.heldPass, "pass", 1, "")
			e.recs[p.key] = r.ID
			recs = append(recs, r)
		}
		if p.fail3 != "" {
			r := e.record(p.key, p.fail3, "fail", 3, ksync.FrameCamera)
			e.recs[p.key] = r.ID
			recs = append(recs, r)
		}
	}
	// Each record arrives when it was made, as it did from a kiosk online:
	// the central holds records that arrive more than 90 days late.
	for _, rec := range recs {
		res, err := e.st.Ingest(ctx, "T-0001", []ksync.Record{rec}, rec.Ended.Add(time.Minute))
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != ksync.StatusAccepted {
				e.t.Fatalf("record %s: %s %s", r.ID, r.Status, r.Error)
			}
		}
	}
}

// record makes a record of person key ending at 10:00 China time on day,
// with a best frame encrypted to the central (a JPEG the test remembers).
func (e *env) record(key, day, verdict string, attempt int, source string) ksync.Record {
	e.t.Helper()
	d, err := certkiosk.ParseDate(day)
	if err != nil {
		e.t.Fatal(err)
	}
	ended := time.Date(d.Year, d.Month, d.Day, 10, 0, 0, 0, central.China)
	id, _ := uuid.NewV7()
	r := ksync.Record{ID: id.String(), RetireeID: idOf(e.t, key), StaffID: "S001", Terminal: "T-0001", Method: "blink",
		Verdict: verdict, Metrics: json.RawMessage(`{"blinks":2}`), Started: ended.Add(-20 * time.Second), Ended: ended,
		Attempt: attempt, Receipt: string(certkiosk.NewReceiptCode()), FrameSource: source}
	img := jpegOf(e.t, len(e.frames))
	e.frames[r.ID] = img
	r.Evidence = []ksync.Evidence{e.encrypt(img)}
	return r
}

func (e *env) encrypt(plain []byte) ksync.Evidence {
	e.t.Helper()
	rcp, err := age.ParseX25519Recipient(e.keys.Recipient())
	if err != nil {
		e.t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := age.Encrypt(&b, rcp)
	if err != nil {
		e.t.Fatal(err)
	}
	w.Write(plain)
	w.Close()
	return ksync.Evidence{Kind: "best_frame", SHA256: sha256hex(b.Bytes()), Ciphertext: b.Bytes()}
}

func jpegOf(t testing.TB, n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(40 * n), uint8(x * 4), uint8(y * 5), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// client is a browser-like HTTP client with cookies that does not follow
// redirects (tests look at them).
type client struct {
	t *testing.T
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.e.ts.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.PostForm(c.e.ts.URL+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf fetches path and returns the CSRF token of its first form.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, body := c.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no CSRF token on %s:\n%s", path, body)
	}
	return m[1]
}

func (c *client) login(id, pin string) *http.Response {
	c.t.Helper()
	tok := c.csrf("/console/login")
	resp, _ := c.post("/console/login", url.Values{"csrf": {tok}, "id": {id}, "pin": {pin}})
	return resp
}

func (c *client) mustLogin(id, pin string) {
	c.t.Helper()
	if resp := c.login(id, pin); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		c.t.Fatalf("login %s: %d %s", id, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// auditRows returns the console audit trail of action, oldest first.
func (e *env) auditRows(action string) []central.AuditEntry {
	e.t.Helper()
	es, err := e.st.ConsoleAuditLog(context.Background(), central.AuditFilter{Action: action}, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
	return es
}

func keysOf(t *testing.T, e *env, ids []string) string {
	t.Helper()
	back := map[string]string{}
	for k, id := range e.ids {
		back[id] = k
	}
	var out []string
	for _, id := range ids {
		k, ok := back[id]
		if !ok {
			k = "?" + id
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, "")
}
