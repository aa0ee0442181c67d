package sync_test

import (
	"context"
	"net/http/httptest"
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

// The store's reasons for refusing to certify (store/clock.go), as its
// errors' English detail says them.
const (
	clockWentBack = "the clock went back"
	clockOff      = "from the central's (at most 5m0s)"
)

// pinned is a clock a test moves by hand.
type pinned struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *pinned) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *pinned) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func (c *pinned) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// ingestLog is the central's storage, noting every record it is sent, in
// order, however often.
type ingestLog struct {
	central.Storage
	mu   gosync.Mutex
	sent []string
}

func (l *ingestLog) Ingest(ctx context.Context, terminal string, recs []ksync.Record, now time.Time) ([]ksync.RecordResult, error) {
	l.mu.Lock()
	for _, r := range recs {
		l.sent = append(l.sent, r.ID)
	}
	l.mu.Unlock()
	return l.Storage.Ingest(ctx, terminal, recs, now)
}

func (l *ingestLog) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent...)
}

// Clock jumps on the kiosk (issue 26; the rule is issue 23's N1): an NTP
// correction back by an hour and a BIOS date years off, while checks are
// recorded. Every clock is injected — the kiosk's store and sync client
// share one, the central has its own — and the test moves them; the
// machine's clock is never touched. Records are never reordered or
// duplicated, each is sent once and in the order it was made, and no record
// at a wrong date becomes a pension decision: the kiosk refuses to certify
// (before its last record; more than 5 minutes off the central's clock, as
// learned at the first answer), and the central refuses a record a kiosk
// made offline at a date ahead of its own.
func TestClockJumpsOnTheKiosk(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	// Both clocks start a minute after the rig enrolled the terminal.
	truth := &pinned{t: time.Now().Add(time.Minute).Truncate(time.Second)}
	kiosk := &pinned{t: truth.Now()}
	r.kiosk.SetClock(kiosk.Now)
	log := &ingestLog{Storage: r.store}
	srv := httptest.NewServer((&central.Server{Store: log, Keys: r.keys, Now: truth.Now}).Handler())
	t.Cleanup(srv.Close)
	c := r.client(t, srv.URL)
	c.Now = kiosk.Now
	w := &terminal.Worker{DB: r.kiosk, Client: c, BatchRecords: 2}
	tick := func(d time.Duration) { truth.Add(d); kiosk.Add(d) }

	var made []string // record IDs in the order the kiosk saved them
	retiree := r.roster[0].ID
	pass := func() error {
		ended := kiosk.Now()
		c := &certkiosk.Certification{FrameSource: certkiosk.FrameCamera, RetireeID: retiree, StaffID: "A001",
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Metrics: []byte(`{"blinks":2}`),
			Started: ended.Add(-5 * time.Second), Ended: ended, Attempt: 1}
		err := r.kiosk.SaveCertification(ctx, "staff:A001", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame(len(made))}})
		if err == nil {
			made = append(made, c.ID)
		}
		return err
	}
	lastCert := func() certkiosk.Date {
		t.Helper()
		re, err := r.kiosk.FindRetiree(ctx, retiree)
		if err != nil {
			t.Fatalf("retiree: %v", err)
		}
		return re.LastCert
	}
	certs := func() int {
		t.Helper()
		var n int
		if err := r.kiosk.SQL().QueryRow(`SELECT count(*) FROM certification`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// refused: a check now is refused as unavailable, for the reason the
	// error's detail names, and changes nothing.
	refused := func(what, reason string) {
		t.Helper()
		n, last := certs(), lastCert()
		err := pass()
		if certkiosk.ErrorCodeOf(err) != certkiosk.EUNAVAILABLE || !strings.Contains(err.Error(), reason) {
			t.Fatalf("%s: certifying gave %v, want it refused: %q", what, err, reason)
		}
		if certs() != n || lastCert() != last {
			t.Fatalf("%s: a refused check left a record or moved the last certification (%s → %s)", what, last, lastCert())
		}
	}
	// run is one of the worker's runs: the outbox, then the roster.
	run := func() (terminal.Result, error) {
		res, err := w.SyncOnce(ctx)
		if err != nil {
			return res, err
		}
		_, err = terminal.PullRoster(ctx, r.kiosk, c, "sync")
		return res, err
	}
	syncAll := func(what string) terminal.Result {
		t.Helper()
		res, err := run()
		if err != nil || res.Pending != 0 {
			t.Fatalf("%s: sync %+v %v", what, res, err)
		}
		return res
	}

	// A morning with the clocks agreeing.
	for i := 0; i < 3; i++ {
		if err := pass(); err != nil {
			t.Fatalf("pass %d: %v", i, err)
		}
		tick(time.Minute)
	}
	syncAll("morning")
	if off, _, known, err := r.kiosk.ClockOffset(ctx); err != nil || !known || off.Abs() > time.Second {
		t.Fatalf("offset learned in the morning: %s %v %v", off, known, err)
	}

	// The kiosk's clock runs an hour ahead while the network is down
	// (the offset it knows is from before): two passes at the wrong hour.
	kiosk.Add(time.Hour)
	for i := 0; i < 2; i++ {
		if err := pass(); err != nil {
			t.Fatalf("pass an hour ahead %d: %v", i, err)
		}
		tick(time.Minute)
	}
	ahead := made[len(made)-2:]
	before := lastCert()

	// NTP corrects it back by the hour: the kiosk will not record a check
	// earlier than its last one, nor move anyone's dates.
	kiosk.Set(truth.Now())
	refused("after NTP put the clock back an hour", clockWentBack)
	if lastCert() != before {
		t.Fatal("the last certification moved")
	}
	// The network is back: the two passes the central would date an hour
	// ahead are refused there, once, and make no pension state.
	res := syncAll("after the correction")
	if res.Acked != 0 || res.Conflicts != 2 {
		t.Fatalf("the hour-ahead passes: %+v, want 2 refused by the central", res)
	}
	for _, id := range ahead {
		c, err := r.kiosk.Certification(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.store.Receipt(ctx, c.Terminal, string(c.Receipt)); certkiosk.ErrorCodeOf(err) != certkiosk.ENOTFOUND {
			t.Fatalf("a pass dated an hour ahead is at the central: %v", err)
		}
	}
	// Once true time passes the last record, the kiosk certifies again.
	tick(time.Hour)
	for i := 0; i < 2; i++ {
		if err := pass(); err != nil {
			t.Fatalf("pass after the hour: %v", err)
		}
		tick(time.Minute)
	}
	syncAll("afternoon")

	// The BIOS date years back (a flat battery): refused before any sync,
	// as it is before the last record; the first answer from the central
	// tells the kiosk how far off it is.
	kiosk.Set(truth.Now().AddDate(-7, 0, 0))
	refused("with the BIOS date seven years back", clockWentBack)
	if _, err := run(); err == nil {
		t.Fatal("a request signed seven years back was answered")
	}
	if off, _, known, _ := r.kiosk.ClockOffset(ctx); !known || off < 7*360*24*time.Hour {
		t.Fatalf("offset learned with the BIOS date years back: %s (known %v)", off, known)
	}
	refused("seven years back, the offset known", clockOff)

	// The BIOS date years ahead: the first answer from the central tells
	// the kiosk, which then refuses to certify.
	kiosk.Set(truth.Now().AddDate(5, 0, 0))
	if _, err := run(); err == nil {
		t.Fatal("a request signed five years ahead was answered")
	}
	if off, _, known, _ := r.kiosk.ClockOffset(ctx); !known || off > -5*360*24*time.Hour {
		t.Fatalf("offset learned with the BIOS date years ahead: %s (known %v)", off, known)
	}
	refused("five years ahead, the offset known", clockOff)

	// Clock right again: certifying and syncing go on.
	kiosk.Set(truth.Now())
	syncAll("with the clock right") // the answer corrects the offset
	if err := pass(); err != nil {
		t.Fatalf("with the clock right again: %v", err)
	}
	syncAll("evening")

	// The BIOS date years ahead while the network is down: the kiosk
	// cannot tell, and certifies at that date. Once the date is put right
	// the central refuses that record, and the kiosk certifies again at
	// once, not five years later (a record the central refused does not
	// bound its clock); the roster puts the retiree's last certification
	// back to the central's.
	kiosk.Set(truth.Now().AddDate(5, 0, 0))
	if err := pass(); err != nil {
		t.Fatalf("offline, the BIOS date five years ahead: %v", err)
	}
	ahead = append(ahead, made[len(made)-1])
	kiosk.Set(truth.Now())
	tick(time.Minute)
	refused("the BIOS date put right, the record from five years ahead not yet sent", clockWentBack)
	if res := syncAll("after the BIOS date was put right"); res.Conflicts != 1 {
		t.Fatalf("the record from five years ahead: %+v, want it refused by the central", res)
	}
	if err := pass(); err != nil {
		t.Fatalf("the clock right, the record from five years ahead refused: %v", err)
	}
	syncAll("night")

	// Never reordered, never duplicated: the kiosk's IDs rise in the order
	// the checks were made, the central was sent each record once, in that
	// order, and has every one except the two it refused.
	for i := 1; i < len(made); i++ {
		if made[i] <= made[i-1] {
			t.Fatalf("record %d's ID %s sorts before the one made before it (%s)", i, made[i], made[i-1])
		}
	}
	if got, want := strings.Join(log.ids(), ","), strings.Join(made, ","); got != want {
		t.Fatalf("records sent to the central:\n %s\nwant each once, in the order made:\n %s", got, want)
	}
	st, err := r.store.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != len(made)-len(ahead) || st.Duplicates != 0 || st.AuditAlarms != 0 {
		t.Fatalf("central: %+v, want %d records, no duplicates, no audit alarms", st, len(made)-len(ahead))
	}
	if want := certkiosk.DateOf(truth.Now().In(certkiosk.China)); lastCert() != want {
		t.Fatalf("last certification %s, want today %s", lastCert(), want)
	}
}
