package console_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/central/console"
	"certkiosk/central/pgstore"
	ksync "certkiosk/sync"

	"github.com/google/uuid"
)

// The scale the console must answer at: every page and list in ≤ 300 ms.
const (
	scaleRetirees = 1_000_000
	scaleRecords  = 5_000_000
	scaleBudget   = 300 * time.Millisecond
	scaleDB       = "certkiosk_console_scale"
)

// scaleSQL builds the data set in PostgreSQL with generate_series. The
// roster: 1,000,000 retirees with valid identity numbers; 98 % certified
// within the last 12 months (uniform), 2 % lapsed 6–12 months before that
// (so about 20,000 are suspended in 2026-12). 5,000,000 records over five
// years from 200 terminals: 97 % pass, 2 % fail, 1 % manual review. The
// pension state is built here in SQL with the same rules (PostgreSQL's
// date + interval '12 months' clamps to the month's end as AddMonths
// does); the tests check that the Go code derives it correctly, this
// benchmark checks what the pages cost over it. 5 % of retirees have a
// past suspension episode; 150 review cases are open.
var scaleSQL = []string{
	`CREATE OR REPLACE FUNCTION bench_check(s text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
		SELECT substr('10X98765432', (sum(substr(s, i, 1)::int * ((2 ^ (18 - i))::bigint % 11)) % 11)::int + 1, 1)
		FROM generate_series(1, 17) AS i $$`,
	`INSERT INTO roster (id, entry, version, deleted)
	SELECT b || bench_check(b), jsonb_build_object('id', b || bench_check(b), 'name', '姓' || n, 'female', n % 2 = 0,
		'birth', to_char(birth, 'YYYY-MM-DD'), 'category', '企业职工基本养老保险', 'last_cert', to_char(last, 'YYYY-MM-DD'),
		'phone', '138' || lpad((n * 7 % 100000000)::text, 8, '0'), 'address', '北京市东城区某街道' || n || '号'), 1, false
	FROM (SELECT n, '110105' || to_char(date '1950-01-01' + (n / 1000)::int, 'YYYYMMDD') || lpad((n % 1000)::text, 3, '0') AS b,
		date '1950-01-01' + (n / 1000)::int AS birth,
		CASE WHEN n % 50 = 0 THEN date '2025-06-01' + (n * 7919 % 180)::int ELSE date '2025-12-01' + (n * 7919 % 374)::int END AS last
		FROM generate_series(0::bigint, 999999) n) x`,
	`UPDATE counter SET value = 1 WHERE name IN ('roster_version', 'pension_roster_version')`,
	`INSERT INTO terminal (id, name, public_key, revoked, enrolled_at)
	SELECT 'T-' || lpad(i::text, 4, '0'), '社区服务中心 ' || i, decode(md5(i::text) || md5(i::text), 'hex'), i % 50 = 0,
		timestamptz '2022-01-01 00:00+08' FROM generate_series(0, 199) i`,
	`INSERT INTO terminal_report (terminal, version, pending, at)
	SELECT 'T-' || lpad(i::text, 4, '0'), '1.4.' || (i % 3), i % 7, timestamptz '2026-12-10 09:00+08' FROM generate_series(0, 199) i`,
	// Records: one statement per million, so the transaction log stays small.
	`INSERT INTO record (id, terminal, content_hash, body, receipt, verdict, retiree_masked, ended_at, synthetic, received_at,
		frame_source, review, pension_done)
	SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(h, 14, 3) || '-8' || substr(h, 18, 3) || '-' || substr(h, 21, 12),
		t, h, jsonb_build_object('retiree_id', rid, 'staff_id', 'S' || (k % 40), 'terminal', t, 'method', 'blink', 'verdict', v,
			'reason', '', 'metrics', jsonb_build_object('blinks', 2), 'attempt', 1, 'ended_at', ended, 'frame_source', 'camera'),
		'R' || k, v, left(rid, 6) || '********' || right(rid, 4), ended, false, ended + interval '1 hour', 'camera', false, true
	FROM (SELECT k, md5('rec' || k) AS h, 'T-' || lpad((k % 200)::text, 4, '0') AS t,
			r.id AS rid,
			CASE WHEN k % 100 = 13 THEN 'manual_review' WHEN k % 50 = 7 THEN 'fail' ELSE 'pass' END AS v,
			timestamptz '2022-01-03 09:00+08' + ((k / 1000000) * 365 + (k * 31 % 360)) * interval '1 day' + (k % 28800) * interval '1 second' AS ended
		FROM generate_series($1::bigint, $2::bigint) k JOIN roster_ids r ON r.n = k % 1000000) x`,
	`INSERT INTO pension_state (retiree_id, last_day, due_day, susp_month, name, phone, address)
	SELECT id, to_char(d, 'YYYYMMDD')::int, to_char(d + interval '12 months', 'YYYYMMDD')::int,
		to_char(d + interval '12 months' + interval '1 month', 'YYYYMM')::int, name, phone, address
	FROM (SELECT id, (entry->>'last_cert')::date AS d, entry->>'name' AS name, entry->>'phone' AS phone,
		entry->>'address' AS address FROM roster) x`,
	`INSERT INTO pension_episode (retiree_id, since_month, until_month, resume_month, last_day, certified_day)
	SELECT id, to_char(s, 'YYYYMM')::int, to_char(s + (n / 7 % 3) * interval '1 month', 'YYYYMM')::int,
		to_char(s + (n / 7 % 3 + 1) * interval '1 month', 'YYYYMM')::int,
		to_char(s - interval '13 months' + interval '9 days', 'YYYYMMDD')::int,
		to_char(s + (n / 7 % 3) * interval '1 month' + (n % 27) * interval '1 day', 'YYYYMMDD')::int
	FROM (SELECT id, n, date '2023-01-01' + (n / 20 % 48) * interval '1 month' AS s FROM roster_ids WHERE n % 20 = 3) x`,
	`INSERT INTO review_case (record_id, retiree_id, terminal, ended_at, is_open, decision, reason, decided_by, decided_at, decided_day)
	SELECT id, retiree_id, terminal, ended_at, row_number() OVER (ORDER BY ended_at DESC) <= 150,
		'', '', '', NULL, 0 FROM record WHERE verdict = 'manual_review'`,
	`UPDATE review_case SET decision = 'approve', reason = '本人', decided_by = 'R001', decided_at = ended_at + interval '1 day',
		decided_day = to_char(ended_at + interval '1 day', 'YYYYMMDD')::int WHERE NOT is_open`,
	`INSERT INTO console_audit (at, user_id, action, subject, detail)
	SELECT timestamptz '2026-01-01 09:00+08' + i * interval '1 minute', 'R00' || (i % 9), 'view_face', md5(i::text), ''
	FROM generate_series(1, 100000) i`,
	`UPDATE pension_episode e SET name = r.entry->>'name', phone = r.entry->>'phone' FROM roster r WHERE r.id = e.retiree_id`,
	`INSERT INTO daily_count (day, terminal, verdict, n)
	SELECT to_char(ended_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')::int, terminal, verdict, count(*) FROM record GROUP BY 1, 2, 3`,
	`UPDATE counter SET value = (SELECT count(*) FROM pension_state) WHERE name = 'pension_retirees'`,
	`UPDATE counter SET value = 1 WHERE name = 'bench_built'`,
}

// openScale opens (building it on the first run: several minutes) the
// benchmark database on the server CERTKIOSK_PG_URL names.
func openScale(b *testing.B) *pgstore.Store {
	url := os.Getenv("CERTKIOSK_PG_URL")
	if url == "" {
		b.Skip("!!! console scale benchmark NOT RUN: set CERTKIOSK_PG_URL=postgres://… (scripts/postgres.sh starts a local server)")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, scaleDB).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+scaleDB); err != nil {
			b.Fatal(err)
		}
	}
	st, err := pgstore.Open(ctx, replaceDB(url, scaleDB))
	if err != nil {
		b.Fatal(err)
	}
	db := st.DB()
	if _, err := db.ExecContext(ctx, `INSERT INTO counter (name, value) VALUES ('bench_built', 0) ON CONFLICT DO NOTHING`); err != nil {
		b.Fatal(err)
	}
	var built int
	if err := db.QueryRowContext(ctx, `SELECT value FROM counter WHERE name = 'bench_built'`).Scan(&built); err != nil {
		b.Fatal(err)
	}
	if built == 1 {
		// As autovacuum would have by now after a migration's updates.
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE pension_state, pension_episode, daily_count, review_case`); err != nil {
			b.Fatal(err)
		}
		return st
	}
	b.Logf("building %d retirees and %d records in %s (once; kept for later runs)", scaleRetirees, scaleRecords, scaleDB)
	if err := st.Reset(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i, q := range scaleSQL {
		t0 := time.Now()
		if strings.Contains(q, "$1::bigint") {
			// A numbered copy of the roster's IDs makes the records' join cheap.
			if _, err := db.ExecContext(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS roster_ids AS
				SELECT (row_number() OVER (ORDER BY id)) - 1 AS n, id FROM roster; CREATE INDEX IF NOT EXISTS roster_ids_n ON roster_ids (n)`); err != nil {
				b.Fatal(err)
			}
			for lo := int64(0); lo < scaleRecords; lo += 1_000_000 {
				if _, err := db.ExecContext(ctx, q, lo, lo+999_999); err != nil {
					b.Fatalf("records from %d: %v", lo, err)
				}
			}
		} else if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatalf("step %d: %v\n%s", i, err, q)
		}
		b.Logf("step %d: %s", i, time.Since(t0).Round(time.Second))
	}
	if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS roster_ids; DROP FUNCTION IF EXISTS bench_check(text)`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("data set built in %s", time.Since(start).Round(time.Second))
	return st
}

// BenchmarkConsoleScale times every console page and list over the data
// set through HTTP, as a signed-in browser asks for them, and reports the
// slowest page; each must stay within 300 ms.
//
//	CERTKIOSK_PG_URL=$(scripts/postgres.sh) go test -run '^$' -bench ConsoleScale -benchtime 20x ./central/console
func BenchmarkConsoleScale(b *testing.B) {
	st := openScale(b)
	defer st.Close()
	ctx := context.Background()
	var counts [2]int
	st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM roster), (SELECT count(*) FROM record)`).Scan(&counts[0], &counts[1])
	if counts[0] < scaleRetirees || counts[1] < scaleRecords {
		b.Fatalf("data set has %d retirees, %d records", counts[0], counts[1])
	}
	now := time.Date(2026, 12, 10, 10, 0, 0, 0, central.China)
	keys, err := central.LoadOrCreateKeys(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	srv := &console.Server{Store: st, Keys: keys, Now: func() time.Time { return now }}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	h, _ := console.HashPIN("135790", testKDF)
	st.DB().ExecContext(ctx, `DELETE FROM console_user WHERE id = 'BENCH'`)
	if err := st.AddConsoleUser(ctx, central.User{ID: "BENCH", Name: "基准", Role: central.RoleAdmin}, h, now); err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, int) {
		resp, err := c.Get(ts.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, int(n)
	}
	resp, err := c.Get(ts.URL + "/console/login")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := csrfRE.FindSubmatch(page)
	if resp, err := c.PostForm(ts.URL+"/console/login", url.Values{"csrf": {string(tok[1])}, "id": {"BENCH"}, "pin": {"135790"}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("login: %v", err)
	}
	var openCase, someone, someName string
	st.DB().QueryRowContext(ctx, `SELECT record_id FROM review_case WHERE is_open LIMIT 1`).Scan(&openCase)
	st.DB().QueryRowContext(ctx, `SELECT id, name FROM roster WHERE id = (SELECT retiree_id FROM review_case WHERE is_open LIMIT 1)`).Scan(&someone, &someName)
	if _, err := certkiosk.ParseResidentID(someone); err != nil {
		b.Fatalf("data set identity %q: %v", someone, err)
	}
	pages := []struct{ name, path string }{
		{"dashboard", "/console/"},
		{"review_queue", "/console/review"},
		{"review_case", "/console/review/" + openCase},
		{"retiree_search", "/console/retirees?q=" + url.QueryEscape(someName)},
		{"retiree", "/console/retirees/" + someone},
		{"lists", "/console/lists?month=2026-12"},
		{"suspensions.csv", "/console/exports/suspensions.csv?month=2026-12"},
		{"suspensions.xlsx", "/console/exports/suspensions.xlsx?month=2026-12"},
		{"resumptions.csv", "/console/exports/resumptions.csv?month=2026-12"},
		{"resumptions.xlsx", "/console/exports/resumptions.xlsx?month=2026-12"},
		{"due.csv", "/console/exports/due.csv?month=2026-12"},
		{"due.xlsx", "/console/exports/due.xlsx?month=2026-12"},
		{"terminals", "/console/terminals"},
		{"audit", "/console/audit"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			status, size := get(p.path) // warm
			if status != http.StatusOK && status != http.StatusSeeOther {
				b.Fatalf("GET %s: %d", p.path, status)
			}
			var times []time.Duration
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				get(p.path)
				times = append(times, time.Since(t0))
			}
			b.StopTimer()
			// The console's own CPU per page (the database's is not in it):
			// on a loaded machine wall time also measures the neighbours.
			cpuMS := float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(b.N)
			b.ReportMetric(cpuMS, "cpu_ms")
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			p95 := times[len(times)*95/100]
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50_ms")
			b.ReportMetric(float64(p95.Microseconds())/1000, "p95_ms")
			b.ReportMetric(float64(size), "bytes")
			// The median is held to the budget: on the shared 2-core machine
			// the slowest runs measure the neighbours' load as much as ours.
			if p50 := times[len(times)/2]; len(times) >= 5 && p50 > scaleBudget {
				b.Errorf("%s: median %s over the %s budget (p95 %s, console CPU %.1f ms, %d bytes)", p.name, p50, scaleBudget, p95, cpuMS, size)
			}
		})
	}
	// Folding new records into the pension state: 5,000 fresh passes.
	b.Run("refresh_5000_records", func(b *testing.B) {
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			ids, err := someIDs(ctx, st.DB(), 5000, i)
			if err != nil {
				b.Fatal(err)
			}
			var recs []ksync.Record
			for j, id := range ids {
				r := benchRecord(b, id, now.Add(-time.Duration(j)*time.Second))
				recs = append(recs, r)
			}
			res, err := st.Ingest(ctx, "T-0001", recs, now)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Status != ksync.StatusAccepted {
					b.Fatalf("record %s: %s %s", r.ID, r.Status, r.Error)
				}
			}
			b.StartTimer()
			t0 := time.Now()
			n, err := st.RefreshPension(ctx)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(recs))/time.Since(t0).Seconds(), "records/s")
			if n < len(ids)*9/10 { // a retiree may also be refreshed by a page meanwhile
				b.Fatalf("refreshed %d retirees, want about %d", n, len(ids))
			}
		}
	})
}

// someIDs picks n retirees, a different set for each round.
func someIDs(ctx context.Context, db *sql.DB, n, round int) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT id FROM roster ORDER BY id OFFSET $1 LIMIT $2`, 500_000+round*n, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func benchRecord(b *testing.B, retiree string, ended time.Time) ksync.Record {
	r := ksync.Record{ID: newV7(), RetireeID: retiree, StaffID: "S001", Terminal: "T-0001", Method: "blink", Verdict: "pass",
		Metrics: []byte(`{"blinks":2}`), Started: ended.Add(-20 * time.Second), Ended: ended, Attempt: 1,
		Receipt: string(certkiosk.NewReceiptCode()), FrameSource: ksync.FrameCamera}
	return r
}

// replaceDB swaps the database name in a postgres:// URL.
func replaceDB(url, db string) string {
	q := ""
	if i := strings.IndexByte(url, '?'); i >= 0 {
		url, q = url[:i], url[i:]
	}
	i := strings.LastIndexByte(url, '/')
	if i < len("postgres://") {
		return url + "/" + db + q
	}
	return url[:i+1] + db + q
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newV7() string {
	id, err := uuid.NewV7()
	if err != nil {
		panic(err)
	}
	return id.String()
}
