package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"certkiosk"
)

// benchRosterSize is the scale the issue sets: a city district's roster.
const benchRosterSize = 1_000_000

var (
	bigOnce   sync.Once
	bigCSV    []byte
	bigIDs    []certkiosk.ResidentID
	bigErr    error
	bigDBOnce sync.Once
	bigDB     *DB
	bigDBErr  error
)

// bigRoster renders a valid 1,000,000-line roster CSV once per process.
func bigRoster(b *testing.B) ([]byte, []certkiosk.ResidentID) {
	bigOnce.Do(func() {
		today := certkiosk.Date{Year: 2026, Month: 11, Day: 27}
		rs, err := DemoRoster(benchRosterSize, 99, today)
		if err != nil {
			bigErr = err
			return
		}
		var buf bytes.Buffer
		buf.WriteString(rosterHeader)
		for _, r := range rs {
			sex := "男"
			if r.Female {
				sex = "女"
			}
			fmt.Fprintf(&buf, "%s,%s,%s,%s,%s,%s,,\n", r.ID, r.Name, sex, r.Birth, r.Category, r.LastCert)
			bigIDs = append(bigIDs, r.ID)
		}
		bigCSV = buf.Bytes()
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigCSV, bigIDs
}

// BenchmarkImportRoster1M imports a 1,000,000-line roster into an empty
// database (bar: ≤ 60 s).
func BenchmarkImportRoster1M(b *testing.B) {
	data, _ := bigRoster(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "data")
		s, err := Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := s.ImportRoster(ctx, "bench", data, EncodingAuto)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/import")
		b.ReportMetric(float64(res.Added)/time.Since(start).Seconds(), "rows/s")
		b.StopTimer()
		if res.Added != benchRosterSize {
			b.Fatalf("added %d", res.Added)
		}
		s.Close()
	}
}

func bigDatabase(b *testing.B) (*DB, []certkiosk.ResidentID) {
	data, ids := bigRoster(b)
	bigDBOnce.Do(func() {
		dir, err := os.MkdirTemp("", "certkiosk-bench-")
		if err != nil {
			bigDBErr = err
			return
		}
		bigDB, bigDBErr = Open(context.Background(), filepath.Join(dir, "data"))
		if bigDBErr == nil {
			_, bigDBErr = bigDB.ImportRoster(context.Background(), "bench", data, EncodingAuto)
		}
	})
	if bigDBErr != nil {
		b.Fatal(bigDBErr)
	}
	return bigDB, ids
}

// reportPercentiles adds p50 and p95 latency metrics.
func reportPercentiles(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*95/100].Microseconds()), "p95-µs")
}

// BenchmarkFindRetiree1M looks up random identity numbers in a
// 1,000,000-row roster (bar: p50 ≤ 1 ms).
func BenchmarkFindRetiree1M(b *testing.B) {
	s, ids := bigDatabase(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := ids[(i*7919)%len(ids)]
		t0 := time.Now()
		if _, err := s.FindRetiree(ctx, id); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportPercentiles(b, lat)
}

// BenchmarkLookupRetiree1M is a staff lookup as the UI does it: the lookup
// plus its durable audit entry.
func BenchmarkLookupRetiree1M(b *testing.B) {
	s, ids := bigDatabase(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := ids[(i*7919)%len(ids)]
		t0 := time.Now()
		if _, err := s.LookupRetiree(ctx, "staff:A001", id); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportPercentiles(b, lat)
}
