package sync_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"certkiosk/central/pgstore"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

// The central's ingest alone (issue 16's budgets): a kiosk's records are
// read from its outbox and framed before the clock starts; the timed part
// is what the central serves — each batch signed afresh and posted, as a
// terminal sends it, through the real HTTP server (authentication, nonce,
// body limits, decoding, validation, storage, audit head, answer). The
// Sync* benchmarks in bench_test.go time the whole path, kiosk included.
// Each reports records/s and cpu-s, the CPU seconds the run took.

// framedBatch is one batch as a terminal puts it on the wire.
type framedBatch struct {
	body []byte
	ids  []string
}

// framedOutbox frames every record of the rig's outbox into batches of at
// most MaxBatchRecords, each with an audit head that extends the one before
// (as the worker's would), so the central judges audit heads too.
func (r *rig) framedOutbox(b *testing.B) []framedBatch {
	b.Helper()
	ctx := context.Background()
	var out []framedBatch
	after, prev := "", ""
	for seq := int64(1); ; seq++ {
		recs, err := r.kiosk.OutboxAfter(ctx, after, ksync.MaxBatchRecords, ksync.DefaultBatchBytes)
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == 0 {
			return out
		}
		after = recs[len(recs)-1].ID
		var batch ksync.Batch
		var ids []string
		for _, o := range recs {
			batch.Records = append(batch.Records, terminal.ToRecord(o))
			ids = append(ids, o.ID)
		}
		sum := sha256.Sum256([]byte(strconv.FormatInt(seq, 10)))
		head := &ksync.AuditHead{Seq: seq, Hash: hex.EncodeToString(sum[:])}
		if prev != "" {
			head.Anchors = []ksync.AuditAnchor{{Seq: seq - 1, Hash: prev}}
		}
		prev, batch.Audit = head.Hash, head
		body, err := ksync.EncodeBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, framedBatch{body, ids})
	}
}

// sendFramed posts the batches one after the other, as one terminal does,
// and checks that the central accepted every record and every audit head.
func sendFramed(ctx context.Context, c *ksync.Client, batches []framedBatch) error {
	for _, fb := range batches {
		resp, err := c.SendEncoded(ctx, fb.body, fb.ids)
		if err != nil {
			return err
		}
		for _, res := range resp.Results {
			if res.Status != ksync.StatusAccepted {
				return fmt.Errorf("record %s: %s %s", res.ID, res.Status, res.Error)
			}
		}
		if resp.Audit == nil || resp.Audit.Status != ksync.AuditOK {
			return fmt.Errorf("audit head answered %+v", resp.Audit)
		}
	}
	return nil
}

// fromAddress is an HTTP client whose connections leave from the loopback
// address ip, so the central sees each terminal at its own address (its
// per-address upload bound applies to each, as in the field).
func fromAddress(ip string) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr.DialContext = d.DialContext
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// cpuSeconds is the CPU time this process has used. On a shared machine
// records/s follow what else runs; the CPU a run took (central and client
// both, and for SQLite the database too) moves much less.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func evidence20KB() []byte {
	ev := make([]byte, 20*1024)
	rand.New(rand.NewSource(1)).Read(ev)
	return ev
}

// BenchmarkCentralIngestSQLite: one terminal sends 10,000 records with
// 20 KB evidence each, in batches of 200, to the SQLite central
// (budget, issue 16: ≥ 3,000 records/s).
func BenchmarkCentralIngestSQLite(b *testing.B) {
	const records = 10000
	ev := evidence20KB()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRig(b)
		r.saveWith(b, records, ev)
		batches := r.framedOutbox(b)
		c := r.client(b, "")
		b.StartTimer()
		cpu0, start := cpuSeconds(), time.Now()
		if err := sendFramed(ctx, c, batches); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
		b.StopTimer()
		if st, err := r.store.Stats(ctx); err != nil || st.Records != records || st.Evidence != records {
			b.Fatalf("central has %+v (%v)", st, err)
		}
	}
}

// pgBenchURL is the PostgreSQL the benchmarks use, found as the storage
// suite finds it: CERTKIOSK_PG_URL (scripts/postgres.sh prints one). With
// CI set, a missing server fails the benchmark.
func pgBenchURL(b *testing.B) string {
	url := os.Getenv("CERTKIOSK_PG_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			b.Fatal("CI=true but CERTKIOSK_PG_URL is not set: start PostgreSQL (scripts/postgres.sh)")
		}
		const msg = "!!! PostgreSQL benchmark NOT RUN: set CERTKIOSK_PG_URL (scripts/postgres.sh)"
		fmt.Fprintln(os.Stderr, msg) // go test shows a benchmark's skip only with -v
		b.Skip(msg)
	}
	return url
}

// BenchmarkCentralIngestPostgres4Terminals: four terminals, each at its
// own address, send 2,500 records with 20 KB evidence each at once to one
// PostgreSQL central (budget, issues 13 and 16: ≥ 5,000 records/s).
func BenchmarkCentralIngestPostgres4Terminals(b *testing.B) {
	url := pgBenchURL(b)
	const terminals, perTerminal = 4, 2500
	ev := evidence20KB()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pg, err := pgstore.Open(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		if err := pg.Reset(ctx); err != nil {
			b.Fatal(err)
		}
		// One central server; the kiosks are enrolled through their own
		// rigs into the same storage, then all send to the first server.
		var rigs []*rig
		var sends [][]framedBatch
		for k := 0; k < terminals; k++ {
			r := newRigWith(b, pg, fmt.Sprintf("T-%04d", k+1))
			r.saveWith(b, perTerminal, ev)
			rigs = append(rigs, r)
			sends = append(sends, r.framedOutbox(b))
		}
		b.StartTimer()
		cpu0, start := cpuSeconds(), time.Now()
		var wg gosync.WaitGroup
		errs := make(chan error, terminals)
		for k, r := range rigs {
			c := r.client(b, rigs[0].srv.URL)
			c.HTTP = fromAddress(fmt.Sprintf("127.0.0.%d", k+2))
			wg.Add(1)
			go func(batches []framedBatch) {
				defer wg.Done()
				if err := sendFramed(ctx, c, batches); err != nil {
					errs <- fmt.Errorf("terminal %s: %w", c.Terminal, err)
				}
			}(sends[k])
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		b.ReportMetric(float64(terminals*perTerminal)/elapsed.Seconds(), "records/s")
		b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
		b.StopTimer()
		st, err := pg.Stats(ctx)
		if err != nil || st.Records != terminals*perTerminal || st.Evidence != terminals*perTerminal || st.AuditAlarms != 0 {
			b.Fatalf("central has %+v (%v)", st, err)
		}
		pg.Close()
	}
}
