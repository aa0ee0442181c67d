package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/console"
	ksync "certkiosk/sync"

	"github.com/xuri/excelize/v2"
)

func sha256hex(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestSignInRequiredEverywhere(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, p := range []string{"/console/", "/console/review", "/console/lists", "/console/exports/due.csv",
		"/console/retirees", "/console/terminals", "/console/audit"} {
		resp, _ := c.get(p)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=") {
			t.Errorf("GET %s without a session: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, _ := c.post("/console/review/0190a000-0000-7000-8000-000000000000", url.Values{"decision": {"approve"}})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d", resp.StatusCode)
	}
}

func TestLoginCookieAndCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	// A login POST without the login form's token is refused.
	resp, _ := c.post("/console/login", url.Values{"id": {"R001"}, "pin": {"135790"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without CSRF token: %d", resp.StatusCode)
	}
	tok := c.csrf("/console/login")
	resp, _ = c.post("/console/login", url.Values{"csrf": {tok}, "id": {"R001"}, "pin": {"135790"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	var sess *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "ck_session" {
			sess = ck
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure || sess.Path != "/console/" {
		t.Fatalf("session cookie: %+v", sess)
	}
	if got := e.auditRows("login"); len(got) != 1 || got[0].User != "R001" {
		t.Errorf("login audit: %+v", got)
	}
	// Under TLS the cookie is Secure.
	e.srv.Secure = true
	c2 := e.client()
	tok = c2.csrf("/console/login")
	resp, _ = c2.post("/console/login", url.Values{"csrf": {tok}, "id": {"R001"}, "pin": {"135790"}})
	for _, ck := range resp.Cookies() {
		if ck.Name == "ck_session" && !ck.Secure {
			t.Error("session cookie not Secure with Secure set")
		}
	}
}

func TestLockoutAfterFiveWrongPINs(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < console.MaxFailedLogins; i++ {
		if resp := c.login("R001", "000000"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong PIN %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp := c.login("R001", "135790"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right PIN while locked: %d", resp.StatusCode)
	}
	e.clock.Add(console.LockoutDuration + time.Second)
	c.mustLogin("R001", "135790")
	if n := len(e.auditRows("login_failed")); n != console.MaxFailedLogins+1 {
		t.Errorf("login_failed audit rows: %d", n)
	}
	// Wrong PINs at the same moment all count: five at once lock too.
	e.clock.Add(console.LockoutDuration + time.Second)
	c.mustLogin("R001", "135790") // resets the count
	var wg sync.WaitGroup
	for i := 0; i < console.MaxFailedLogins; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); e.client().login("R001", "000000") }()
	}
	wg.Wait()
	if resp := c.login("R001", "135790"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right PIN after %d simultaneous wrong ones: %d, want locked", console.MaxFailedLogins, resp.StatusCode)
	}
	// An unknown account gets the same answer as a wrong PIN.
	resp := c.login("NOPE", "135790")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown account: %d", resp.StatusCode)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.mustLogin("R001", "135790")
	if resp, _ := c.get("/console/review"); resp.StatusCode != http.StatusOK {
		t.Fatalf("review: %d", resp.StatusCode)
	}
	e.clock.Add(console.DefaultIdleTimeout - time.Minute)
	if resp, _ := c.get("/console/review"); resp.StatusCode != http.StatusOK {
		t.Fatalf("review before the idle timeout: %d", resp.StatusCode)
	}
	e.clock.Add(console.DefaultIdleTimeout + time.Second)
	if resp, _ := c.get("/console/review"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("review after the idle timeout: %d", resp.StatusCode)
	}
}

func TestReviewerIsNotAdmin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.mustLogin("R001", "135790")
	for _, p := range []string{"/console/terminals", "/console/audit"} {
		if resp, _ := c.get(p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("reviewer GET %s: %d", p, resp.StatusCode)
		}
	}
}

func TestReviewDecisionAuditAndRoster(t *testing.T) { reviewDecision(t, newEnv(t)) }

func TestReviewDecisionPostgres(t *testing.T) { reviewDecision(t, newPostgresEnv(t)) }

func reviewDecision(t *testing.T, e *env) {
	e.loadFixture()
	c := e.client()
	c.mustLogin("R001", "135790")
	_, queue := c.get("/console/review")
	for _, k := range []string{"F", "L", "N"} { // manual review, third failure, held pass
		if !strings.Contains(queue, e.recs[k]) {
			t.Errorf("queue lacks %s's case", k)
		}
	}
	if strings.Contains(queue, e.ids["A"]) {
		t.Error("queue shows a full identity number")
	}
	f := e.recs["F"]
	_, page := c.get("/console/review/" + f)
	if !strings.Contains(page, "/console/frames/"+f) || !strings.Contains(page, "冯六") {
		t.Fatalf("case page lacks the frame or the name:\n%s", page)
	}
	// The frame is the JPEG the terminal encrypted, decrypted, and audited.
	resp, img := c.get("/console/frames/" + f)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.Equal([]byte(img), e.frames[f]) {
		t.Fatalf("frame: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(img))
	}
	if !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Error("frame may be cached")
	}
	if got := e.auditRows("view_face"); len(got) != 1 || got[0].Subject != f || got[0].User != "R001" {
		t.Errorf("view_face audit: %+v", got)
	}
	before, err := e.st.RosterSince(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// A decision without the session's CSRF token changes nothing.
	resp, _ = c.post("/console/review/"+f, url.Values{"decision": {"approve"}, "reason": {"本人"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("decision without CSRF: %d", resp.StatusCode)
	}
	resp, _ = c.post("/console/review/"+f, url.Values{"decision": {"approve"}, "reason": {"本人"}, "csrf": {"00"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("decision with a wrong CSRF token: %d", resp.StatusCode)
	}
	if cs, _ := e.st.Case(context.Background(), f); cs.Decision != "" {
		t.Fatalf("refused decision was stored: %+v", cs)
	}
	tok := c.csrf("/console/review/" + f)
	resp, _ = c.post("/console/review/"+f, url.Values{"decision": {"approve"}, "reason": {""}, "csrf": {tok}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("decision without a reason: %d", resp.StatusCode)
	}
	resp, _ = c.post("/console/review/"+f, url.Values{"decision": {"approve"}, "reason": {"与以前照片一致，本人"}, "csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if resp, _ = c.post("/console/review/"+f, url.Values{"decision": {"reject"}, "reason": {"x"}, "csrf": {tok}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second decision: %d", resp.StatusCode)
	}
	if got := e.auditRows("decide"); len(got) != 1 || got[0].Subject != f || !strings.HasPrefix(got[0].Detail, "通过") {
		t.Errorf("decide audit: %+v", got)
	}
	// The approval reaches terminals with the next roster download.
	u, err := e.st.RosterSince(context.Background(), before.Version)
	if err != nil {
		t.Fatal(err)
	}
	if u.Full || len(u.Retirees) != 1 || u.Retirees[0].ID != e.ids["F"] || u.Retirees[0].LastCert != "2026-12-10" {
		t.Fatalf("roster after approval: %+v", u)
	}
	_, queue = c.get("/console/review")
	if strings.Contains(queue, f) {
		t.Error("decided case still in the queue")
	}
	_, rp := c.get("/console/retirees/" + e.ids["F"])
	if !strings.Contains(rp, "2027年1月起恢复发放") {
		t.Errorf("retiree page of F lacks the resumption:\n%s", rp)
	}
}

// ids of a list, by fixture key.
func listKeys(t *testing.T, e *env, name, month string) string {
	t.Helper()
	m, _ := certkiosk.ParseMonth(month)
	tb, err := console.BuildList(context.Background(), e.st, name, m, central.DayOf(e.clock.Now()), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range tb.Rows {
		ids = append(ids, r[0])
	}
	return keysOf(t, e, ids)
}

// TestListsExactly checks the lists against the fixture's known dates, no
// more and no fewer, before and after F's manual review is approved.
func TestListsExactly(t *testing.T) { listsExactly(t, newEnv(t)) }

// TestListsExactlyPostgres runs the same lists on PostgreSQL, where the
// same queries meet another planner and other column types.
func TestListsExactlyPostgres(t *testing.T) { listsExactly(t, newPostgresEnv(t)) }

func listsExactly(t *testing.T, e *env) {
	e.loadFixture()
	ctx := context.Background()
	if _, err := e.st.RefreshPension(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[[2]string]string{
		{"suspensions", "2026-10"}: "H",
		{"suspensions", "2026-11"}: "DEH",
		{"suspensions", "2026-12"}: "ADFHN",
		{"resumptions", "2026-12"}: "E",
		{"resumptions", "2027-01"}: "D",
		{"due", "2026-12"}:         "BC",
	}
	// D certified on 2026-12-05: payment resumes 2027-01, so D is not
	// suspended in 2027-01; F is not yet approved, so F still is.
	want[[2]string{"suspensions", "2027-01"}] = "ABCFHN" // B and C due in December
	for k, w := range want {
		if got := listKeys(t, e, k[0], k[1]); got != w {
			t.Errorf("%s %s = %q, want %q", k[0], k[1], got, w)
		}
	}
	if err := e.st.Decide(ctx, e.recs["F"], central.Approve, "本人", "R001", e.clock.Now(), central.DayOf(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	want[[2]string{"resumptions", "2027-01"}] = "DF"
	want[[2]string{"suspensions", "2027-01"}] = "ABCHN"
	for k, w := range want {
		if got := listKeys(t, e, k[0], k[1]); got != w {
			t.Errorf("after approval: %s %s = %q, want %q", k[0], k[1], got, w)
		}
	}
	// Back pay: D certified on the 5th (back pay with the resumption), E
	// on the 20th (one month later), F on the 10th.
	m, _ := certkiosk.ParseMonth("2027-01")
	tb, err := console.BuildList(ctx, e.st, "resumptions", m, central.DayOf(e.clock.Now()), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRows := map[string][]string{
		e.ids["D"]: {e.ids["D"], "邓四", "2026-11", "2026-12-05", "2027-01", "2", "2027-01"},
		e.ids["F"]: {e.ids["F"], "冯六", "2026-12", "2026-12-10", "2027-01", "1", "2027-01"},
	}
	for _, r := range tb.Rows {
		if w := wantRows[r[0]]; strings.Join(r[:7], ",") != strings.Join(w, ",") {
			t.Errorf("resumption row %v, want %v", r[:7], w)
		}
	}
	m, _ = certkiosk.ParseMonth("2026-12")
	tb, _ = console.BuildList(ctx, e.st, "resumptions", m, central.DayOf(e.clock.Now()), 0)
	if len(tb.Rows) != 1 || strings.Join(tb.Rows[0][2:7], ",") != "2026-11,2026-11-20,2026-12,1,2027-01" {
		t.Errorf("E's resumption: %v", tb.Rows)
	}
	// An office with cut-off day 20 pays E's back pay with the resumption.
	tb, _ = console.BuildList(ctx, e.st, "resumptions", m, central.DayOf(e.clock.Now()), 20)
	if len(tb.Rows) != 1 || tb.Rows[0][6] != "2026-12" {
		t.Errorf("E's back pay with cut-off 20: %v", tb.Rows)
	}
	// The dashboard's counts: everyone but I (never certified) has a state;
	// on 2026-12-10 B and C are due within 30 days; A, H and N are
	// suspended and not yet certified (F's approval ended F's).
	c, err := e.st.PensionCounts(ctx, central.DayOf(e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retirees != len(fixture)-1 || c.DueSoon != 2 || c.Suspended != 3 || c.Overdue != 0 || c.OpenCases != 2 {
		t.Errorf("counts %+v", c)
	}
	// Every month from 2025-01 to 2028-12 agrees with the rules applied
	// directly to each person's certification days.
	oracle(t, e)
}

// oracle recomputes every list from the fixture with the root package's
// functions and compares, month by month.
func oracle(t *testing.T, e *env) {
	days := map[string][]certkiosk.Date{}
	for _, p := range fixture {
		var ds []certkiosk.Date
		for _, s := range append([]string{p.last}, p.passes...) {
			if d, err := certkiosk.ParseDate(s); err == nil {
				ds = append(ds, d)
			}
		}
		if p.manual != "" {
			ds = append(ds, central.DayOf(e.clock.Now())) // approved today
		}
		days[p.key] = ds
	}
	for m, _ := certkiosk.ParseMonth("2025-01"); m.Before(certkiosk.Month{Year: 2029, Month: 1}); m = m.Add(1) {
		var susp, res []string
		for _, p := range fixture {
			var last certkiosk.Date
			for _, d := range days[p.key] {
				if d.Before(m.First()) && d.After(last) {
					last = d
				}
			}
			if _, ok := certkiosk.SuspendedIn(last, m); ok {
				susp = append(susp, e.ids[p.key])
			}
			var prev certkiosk.Date
			ds := append([]certkiosk.Date(nil), days[p.key]...)
			sortDates(ds)
			for _, d := range ds {
				if resume, _, _, ok := certkiosk.Resumption(prev, d, 0); ok && resume == m {
					res = append(res, e.ids[p.key])
				}
				prev = d
			}
		}
		if got, want := listKeys(t, e, "suspensions", m.String()), keysOf(t, e, susp); got != want {
			t.Errorf("oracle: suspensions %s = %q, want %q", m, got, want)
		}
		if got, want := listKeys(t, e, "resumptions", m.String()), keysOf(t, e, res); got != want {
			t.Errorf("oracle: resumptions %s = %q, want %q", m, got, want)
		}
	}
}

func sortDates(ds []certkiosk.Date) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Before(ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

func TestExportsCSVAndXLSX(t *testing.T) {
	e := newEnv(t)
	e.loadFixture()
	c := e.client()
	c.mustLogin("R001", "135790")
	resp, body := c.get("/console/exports/suspensions.csv?month=2026-12")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "\uFEFF身份证号,姓名,") {
		t.Fatalf("suspensions.csv: %d %q", resp.StatusCode, body[:min(len(body), 80)])
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "suspensions-2026-12.csv") {
		t.Errorf("Content-Disposition %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range recs[1:] {
		ids = append(ids, r[0])
	}
	if got := keysOf(t, e, ids); got != "ADFHN" {
		t.Errorf("suspensions.csv lists %q", got)
	}
	resp, body = c.get("/console/exports/due.xlsx?month=2026-12")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("due.xlsx: %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "身份证号" || rows[1][0] != e.ids["B"] || rows[2][0] != e.ids["C"] || rows[1][2] != "2026-12-10" {
		t.Fatalf("due.xlsx rows: %v", rows)
	}
	for _, bad := range []string{"/console/exports/../../etc/passwd", "/console/exports/x.csv", "/console/exports/due.exe",
		"/console/exports/due.csv?month=2026-13"} {
		if resp, _ := c.get(bad); resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s: 200", bad)
		}
	}
	ex := e.auditRows("export")
	if len(ex) != 2 || ex[0].Subject != "suspensions.csv" || ex[1].Subject != "due.xlsx" || ex[0].User != "R001" {
		t.Errorf("export audit: %+v", ex)
	}
}

func TestPagesRender(t *testing.T) {
	e := newEnv(t)
	e.loadFixture()
	c := e.client()
	c.mustLogin("A001", "246810")
	for path, want := range map[string]string{
		"/console/":                           "<svg",
		"/console/lists?month=2026-12":        "2026年12月暂停发放名单：5 人",
		"/console/retirees?q=安一":              "安一",
		"/console/retirees/" + e.ids["A"]:     "已于 2026年12月起暂停发放",
		"/console/retirees/" + e.ids["G"]:     "下次请在 2027-03-15 前认证",
		"/console/terminals":                  "添加终端",
		"/console/audit":                      "登录",
		"/console/retirees?q=110105194001010": "没有找到",
	} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
			continue
		}
		if resp.StatusCode == http.StatusSeeOther {
			_, body = c.get(resp.Header.Get("Location"))
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s lacks %q", path, want)
		}
		if strings.Contains(body, e.ids["A"]) && !strings.HasPrefix(path, "/console/retirees/") {
			t.Errorf("GET %s shows a full identity number", path)
		}
	}
	// Terminals: add one, get a token once, revoke, enable.
	tok := c.csrf("/console/terminals")
	resp, body := c.post("/console/terminals", url.Values{"csrf": {tok}, "id": {"T-0009"}, "name": {"东城区服务中心"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ckt1-") {
		t.Fatalf("add terminal: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/console/terminals/T-0009/revoke", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusOK {
		t.Errorf("revoke: %d", resp.StatusCode)
	}
	if tm, _ := e.st.Terminal(context.Background(), "T-0009"); !tm.Revoked {
		t.Error("terminal not revoked")
	}
	if resp, _ := c.post("/console/terminals/T-0009/enable", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusOK {
		t.Errorf("enable: %d", resp.StatusCode)
	}
	if tm, _ := e.st.Terminal(context.Background(), "T-0009"); tm.Revoked {
		t.Error("terminal still revoked")
	}
	if resp, _ := c.post("/console/logout", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

func TestTerminalReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.st.AddTerminal(ctx, "T-0007", "西城", "hash", e.clock.Now(), e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	status := http.StatusOK
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
	h := console.RecordReports(api, e.st, e.clock.Now, nil)
	send := func(version, pending string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/batches", nil)
		req.Header.Set("X-Certkiosk-Terminal", "T-0007")
		req.Header.Set("X-Certkiosk-Version", version)
		req.Header.Set("X-Certkiosk-Pending", pending)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	report := func() (string, int) {
		ts, err := e.st.Terminals(ctx)
		if err != nil || len(ts) != 1 {
			t.Fatalf("terminals: %v %v", ts, err)
		}
		return ts[0].Version, ts[0].Pending
	}
	if v, p := report(); v != "" || p != -1 {
		t.Fatalf("before any report: %q %d", v, p)
	}
	status = http.StatusUnauthorized // a request that failed its signature check is not believed
	send("9.9.9", "1")
	if v, _ := report(); v != "" {
		t.Fatalf("unauthenticated report kept: %q", v)
	}
	status = http.StatusOK
	send("1.4.2", "12")
	if v, p := report(); v != "1.4.2" || p != 12 {
		t.Fatalf("report: %q %d", v, p)
	}
	if ts, _ := e.st.Terminals(ctx); !ts[0].LastSeen.Equal(e.clock.Now()) {
		t.Errorf("last seen %v, want the report's time %v", ts[0].LastSeen, e.clock.Now())
	}
	send("1.4.3\x00<b>", "3") // malformed: ignored
	send("1.4.3", "x")
	if v, p := report(); v != "1.4.2" || p != 12 {
		t.Fatalf("malformed report kept: %q %d", v, p)
	}
	send("1.4.3", "-1") // the terminal could not count its records
	if v, p := report(); v != "1.4.3" || p != -1 {
		t.Fatalf("report without a count: %q %d", v, p)
	}
}

// TestDueListHasContacts: the due list carries the phone a counter
// checked and the relative's contact terminals sent (issue 12).
func TestDueListHasContacts(t *testing.T) { dueListHasContacts(t, newEnv(t)) }

func TestDueListHasContactsPostgres(t *testing.T) { dueListHasContacts(t, newPostgresEnv(t)) }

func dueListHasContacts(t *testing.T, e *env) {
	e.loadFixture()
	ctx := context.Background()
	at := e.clock.Now().Add(-time.Hour)
	chs := []ksync.ContactChange{
		{ID: newV7(), RetireeID: e.ids["B"], StaffID: "S001", Kind: ksync.ContactCorrected, Phone: "13912345678", Address: "北京市东城区新地址2号", At: at},
		{ID: newV7(), RetireeID: e.ids["B"], StaffID: "S001", Kind: ksync.ContactRelativeSet, At: at,
			Relative: &ksync.RelativeContact{Name: "白小二", Relation: "子女", Mobile: "13698765432", Consent: true}},
	}
	// T-0001 saw B in person (a manual review, which changes no pension
	// state): that earns its contact changes.
	visit := e.record("B", "2026-12-01", "manual_review", 1, ksync.FrameCamera)
	visit.Started, visit.Ended = at.Add(-11*time.Minute), at.Add(-10*time.Minute)
	if res, err := e.st.Ingest(ctx, "T-0001", []ksync.Record{visit}, e.clock.Now()); err != nil || res[0].Status != ksync.StatusAccepted {
		t.Fatalf("visit: %+v %v", res, err)
	}
	res, err := e.st.PutContacts(ctx, "T-0001", chs, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != ksync.StatusAccepted {
			t.Fatalf("contact change: %+v", r)
		}
	}
	if _, err := e.st.RefreshPension(ctx); err != nil {
		t.Fatal(err)
	}
	m, _ := certkiosk.ParseMonth("2026-12")
	tb, err := console.BuildList(ctx, e.st, console.ListDue, m, central.DayOf(e.clock.Now()), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		e.ids["B"]: e.ids["B"] + ",白二,2026-12-10,0,13912345678,北京市东城区新地址2号,白小二,子女,13698765432",
		e.ids["C"]: e.ids["C"] + ",陈三,2026-12-31,21,13800130067,北京市东城区C街1号,,,",
	}
	if len(tb.Rows) != len(want) {
		t.Fatalf("due rows: %v", tb.Rows)
	}
	for _, r := range tb.Rows {
		if got := strings.Join(r, ","); got != want[r[0]] {
			t.Errorf("due row %s, want %s", got, want[r[0]])
		}
	}
	c := e.client()
	c.mustLogin("R001", "135790")
	_, page := c.get("/console/retirees/" + e.ids["B"])
	for _, s := range []string{"13912345678", "白小二（子女）13698765432", "登记亲情联系人", "柜台核对"} {
		if !strings.Contains(page, s) {
			t.Errorf("retiree page lacks %q", s)
		}
	}
}

// Issue 15: the records list and a record's page say which read-digits
// check ran, so a pass on the lips alone is told from one with the voice.
func TestRecordsShowTheSpeechCheck(t *testing.T) {
	e := newEnv(t)
	e.loadFixture()
	ctx := context.Background()
	var recs []ksync.Record
	for _, sc := range []string{"lips", "lips_voice"} {
		r := e.record("G", "2026-11-20", "pass", 1, ksync.FrameCamera)
		r.Method, r.Challenge, r.SpeechCheck = "digits", "4821", sc
		recs = append(recs, r)
	}
	bad := e.record("G", "2026-11-21", "pass", 1, ksync.FrameCamera)
	bad.SpeechCheck = "lips" // a blink record names no speech check
	recs = append(recs, bad)
	res, err := e.st.Ingest(ctx, "T-0001", recs, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != ksync.StatusAccepted || res[1].Status != ksync.StatusAccepted || res[2].Status == ksync.StatusAccepted {
		t.Fatalf("ingest: %+v", res)
	}
	c := e.client()
	c.mustLogin("R001", "135790")
	_, body := c.get("/console/retirees/" + e.ids["G"])
	for _, want := range []string{"读数字（仅查口型，无麦克风）", "读数字（口型与声音）"} {
		if !strings.Contains(body, want) {
			t.Errorf("records list lacks %q", want)
		}
	}
	_, body = c.get("/console/review/" + recs[0].ID)
	if !strings.Contains(body, "读数字（仅查口型，无麦克风）") {
		t.Error("the record's page does not say the lips alone were checked")
	}
}
