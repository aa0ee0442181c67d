package sync_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	gosync "sync"
	"testing"
	"time"

	"certkiosk/central/pgstore"
	"certkiosk/sync/terminal"
)

// BenchmarkSyncThroughput syncs 10,000 records, each with 20 KB of
// evidence (encrypted by the store like a JPEG would be), from a kiosk
// database to the SQLite central over loopback HTTP, in batches of 200
// (bar: ≥ 1,000 records/s end to end).
func BenchmarkSyncThroughput(b *testing.B) {
	const records = 10000
	ev := make([]byte, 20*1024)
	rand.New(rand.NewSource(1)).Read(ev)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRig(b)
		r.saveWith(b, records, ev)
		w := &terminal.Worker{DB: r.kiosk, Client: r.client(b, "")}
		b.StartTimer()
		start := time.Now()
		res, err := w.SyncOnce(context.Background())
		if err != nil || res.Acked != records {
			b.Fatalf("sync: %+v %v", res, err)
		}
		b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
	}
}

// BenchmarkSyncPostgres4Terminals: four kiosks (2,500 records of 20 KB
// each) sync at once into one PostgreSQL central. Needs CERTKIOSK_PG_URL.
func BenchmarkSyncPostgres4Terminals(b *testing.B) {
	url := os.Getenv("CERTKIOSK_PG_URL")
	if url == "" {
		b.Skip("!!! PostgreSQL benchmark NOT RUN: set CERTKIOSK_PG_URL (scripts/postgres.sh)")
	}
	const perTerminal = 2500
	ev := make([]byte, 20*1024)
	rand.New(rand.NewSource(1)).Read(ev)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pg, err := pgstore.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		// A clean slate for the figure.
		pg.Reset(ctx)
		var rigs []*rig
		for k := 0; k < 4; k++ {
			r := newRigWith(b, pg, fmt.Sprintf("T-%04d", k+1))
			r.saveWith(b, perTerminal, ev)
			rigs = append(rigs, r)
		}
		b.StartTimer()
		start := time.Now()
		var wg gosync.WaitGroup
		errs := make(chan error, 4)
		for _, r := range rigs {
			wg.Add(1)
			go func(r *rig) {
				defer wg.Done()
				w := &terminal.Worker{DB: r.kiosk, Client: r.client(b, "")}
				if res, err := w.SyncOnce(ctx); err != nil || res.Acked != perTerminal {
					errs <- fmt.Errorf("sync: %+v %v", res, err)
				}
			}(r)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(4*perTerminal)/time.Since(start).Seconds(), "records/s")
		b.StopTimer()
		if st, _ := pg.Stats(ctx); st.Records != 4*perTerminal {
			b.Fatalf("central has %d records", st.Records)
		}
		pg.Close()
	}
}
