package terminal

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"
)

// Enroll registers this terminal with the central service: it makes the
// terminal's Ed25519 key pair, sends the public half with the one-time
// token, and stores what the central answers — terminal ID, the central's
// signing key, and its age recipient, which from now on encrypts evidence.
func Enroll(ctx context.Context, db *store.DB, actor, url, token string, insecure bool, pin string) (ksync.EnrollResponse, error) {
	if err := ksync.CheckURL(url, insecure); err != nil {
		return ksync.EnrollResponse{}, err
	}
	if strings.HasPrefix(url, "https://") && len(pin) != 64 {
		return ksync.EnrollResponse{}, certkiosk.E(certkiosk.EINVALID, "error.terminal.pin",
			"https enrollment needs --pin, the central's SPKI SHA-256 (centrald tls pin)")
	}
	// Demo data (invented people, a published PIN) never reaches a central.
	if demo, err := db.IsDemo(ctx); err != nil {
		return ksync.EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	} else if demo {
		return ksync.EnrollResponse{}, certkiosk.E(certkiosk.EINVALID, "error.terminal.demo", "enroll: %s holds demo data", db.Dir())
	}
	// The terminal keeps the key it may already sign receipts with.
	priv, err := db.TerminalKey(ctx)
	if err != nil {
		return ksync.EnrollResponse{}, fmt.Errorf("enroll: %w", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	c := &ksync.Client{BaseURL: url, HTTP: ksync.NewHTTPClient(pin, insecure, 30*time.Second)}
	resp, err := c.Enroll(ctx, token, pub)
	if err != nil {
		return resp, fmt.Errorf("enroll: %w", err)
	}
	if _, err := ksync.DecodePublicKey(resp.SigningKey); err != nil {
		return resp, fmt.Errorf("enroll: central signing key: %w", err)
	}
	for _, kv := range []struct {
		key   store.Key
		value string
	}{
		{store.SetTerminalID, resp.TerminalID},
		{store.SetCentralURL, url},
		{store.SetCentralSigningKey, resp.SigningKey},
		{store.SetCentralCertPin, pin},
		{store.SetInsecureHTTP, fmt.Sprint(insecure)},
	} {
		if err := db.SetSetting(ctx, actor, kv.key, kv.value); err != nil {
			return resp, fmt.Errorf("enroll: %w", err)
		}
	}
	if err := db.SetEvidenceRecipient(ctx, actor, resp.AgeRecipient, store.RecipientCentral); err != nil {
		return resp, fmt.Errorf("enroll: %w", err)
	}
	if _, err := db.AdoptUnenrolled(ctx, actor, resp.TerminalID); err != nil {
		return resp, fmt.Errorf("enroll: %w", err)
	}
	return resp, nil
}

// ErrNotEnrolled means the terminal has no central to sync to yet.
var ErrNotEnrolled = certkiosk.E(certkiosk.EUNAVAILABLE, "error.terminal.not_enrolled", "terminal not enrolled")

// ClientFor builds the client from the enrollment settings.
func ClientFor(ctx context.Context, db *store.DB) (*ksync.Client, error) {
	get := func(k store.Key) string { v, _ := db.Setting(ctx, k, ""); return v }
	id, url, seed := get(store.SetTerminalID), get(store.SetCentralURL), get(store.SetTerminalKey)
	if id == "" || url == "" || seed == "" {
		return nil, ErrNotEnrolled
	}
	key, err := ksync.DecodeSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("terminal key: %w", err)
	}
	insecure := get(store.SetInsecureHTTP) == "true"
	if err := ksync.CheckURL(url, insecure); err != nil {
		return nil, err
	}
	// The central's terminals page shows how many records wait here.
	pending := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := db.SyncCounts(ctx)
		if err != nil {
			return -1
		}
		return c.Pending
	}
	c := &ksync.Client{BaseURL: url, Terminal: id, Key: key, HTTP: ksync.NewHTTPClient(get(store.SetCentralCertPin), insecure, 60*time.Second),
		Pending: pending}
	// Every answer tells how far this clock is from the central's: the
	// kiosk refuses to certify while it is more than store.MaxClockOffset.
	c.OnClock = func(off time.Duration) {
		now := certkiosk.SystemClock
		if c.Now != nil {
			now = c.Now
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		db.NoteClockOffset(ctx, off, now())
	}
	return c, nil
}

// ToRecord turns a stored certification into its wire form.
func ToRecord(o store.OutboxRecord) ksync.Record {
	c := o.Certification
	r := ksync.Record{ID: c.ID, RetireeID: string(c.RetireeID), StaffID: c.StaffID, Terminal: c.Terminal,
		Method: string(c.Method), Challenge: c.Challenge, Verdict: string(c.Verdict), Reason: c.Reason,
		Metrics: c.Metrics, Started: c.Started, Ended: c.Ended, Attempt: c.Attempt, Receipt: string(c.Receipt),
		Synthetic: c.Synthetic, FrameSource: string(c.FrameSource), SpeechCheck: string(c.SpeechCheck),
		PhotoMatch: c.PhotoMatch}
	for _, e := range o.Evidence {
		r.Evidence = append(r.Evidence, ksync.Evidence{Kind: e.Kind, SHA256: e.SHA256, Ciphertext: e.Ciphertext})
	}
	return r
}

// Progress is reported while syncing, for a progress bar.
type Progress struct {
	Sent, Total int       // records sent in this run / outbox size at its start
	Acked       int       // acknowledged in this run
	Refused     int       // conflicts and invalid records in this run
	Err         error     // the last failure, nil when fine
	NextTry     time.Time // when a failed run is retried
	Done        bool      // the outbox is empty (or only refused records remain)
	Pending     int       // records waiting in the outbox as this is reported
}

// Result sums up a sync run (`kioskctl sync --json`).
type Result struct {
	Sent      int `json:"sent"`
	Acked     int `json:"acked"`
	Pending   int `json:"pending"`
	Conflicts int `json:"conflicts"`
	// Audit is the central's view of this terminal's audit log in the last
	// answer: "ok", or "mismatch" when the history was rewritten.
	Audit string `json:"audit,omitempty"`
	// Contacts sums up the contact checks and changes sent after the
	// records.
	Contacts ContactsResult `json:"contacts"`
}

// Worker drains the outbox to the central service in batches.
type Worker struct {
	DB           *store.DB
	Client       *ksync.Client
	BatchRecords int // default ksync.DefaultBatchRecords
	BatchBytes   int // default ksync.DefaultBatchBytes
	Backoff      ksync.Backoff
	Interval     time.Duration // between runs when all is sent; default 1 min
	// OnProgress, if set, is called from the worker's goroutine.
	OnProgress func(Progress)

	nowOnce gosync.Once
	now     chan struct{}
	auditMu gosync.Mutex // the anchors are read and written from two goroutines
}

// auditHead is the audit head a batch carries, with the terminal's entries
// at the heads it showed the central before; it remembers this one as sent.
func (w *Worker) auditHead(ctx context.Context) (*ksync.AuditHead, error) {
	w.auditMu.Lock()
	defer w.auditMu.Unlock()
	seq, hash, err := w.DB.AuditHead(ctx)
	if err != nil || seq == 0 {
		return nil, err
	}
	a, err := w.DB.GetAuditAnchors(ctx)
	if err != nil {
		return nil, err
	}
	h := &ksync.AuditHead{Seq: seq, Hash: hash}
	seqs := a.Sent
	if a.AckedSeq > 0 {
		seqs = append([]int64{a.AckedSeq}, seqs...)
	}
	seen := map[int64]bool{}
	for _, s := range seqs {
		if seen[s] || len(h.Anchors) >= ksync.MaxAuditAnchors {
			continue
		}
		seen[s] = true
		ah, err := w.DB.AuditHashAt(ctx, s)
		if err != nil {
			return nil, err
		}
		h.Anchors = append(h.Anchors, ksync.AuditAnchor{Seq: s, Hash: ah})
	}
	a.Sent = append(a.Sent, seq)
	if len(a.Sent) > ksync.MaxAuditAnchors-1 {
		a.Sent = a.Sent[len(a.Sent)-(ksync.MaxAuditAnchors-1):]
	}
	return h, w.DB.PutAuditAnchors(ctx, a)
}

// auditAnswered keeps the head the central acknowledged as the anchor.
func (w *Worker) auditAnswered(ctx context.Context, ans *ksync.AuditAnswer) error {
	if ans == nil || ans.Status != ksync.AuditOK {
		return nil
	}
	w.auditMu.Lock()
	defer w.auditMu.Unlock()
	a, err := w.DB.GetAuditAnchors(ctx)
	if err != nil {
		return err
	}
	if ans.Seq < a.AckedSeq {
		return nil
	}
	a.AckedSeq, a.AckedHash = ans.Seq, ans.Hash
	var later []int64
	for _, s := range a.Sent {
		if s > ans.Seq {
			later = append(later, s)
		}
	}
	a.Sent = later
	return w.DB.PutAuditAnchors(ctx, a)
}

func (w *Worker) kick() chan struct{} {
	w.nowOnce.Do(func() { w.now = make(chan struct{}, 1) })
	return w.now
}

// SyncNow asks a running worker to sync at once (the "sync now" button).
func (w *Worker) SyncNow() {
	select {
	case w.kick() <- struct{}{}:
	default: // one is already asked for
	}
}

func (w *Worker) report(ctx context.Context, p Progress) {
	if w.OnProgress == nil {
		return
	}
	if c, err := w.DB.SyncCounts(ctx); err == nil {
		p.Pending = c.Pending
	}
	w.OnProgress(p)
}

// SyncOnce sends batches until the outbox is empty or a batch fails.
// Records are acknowledged exactly when the central's answer says it has
// them; after any failure they stay in the outbox and are sent again (the
// central answers "duplicate" for those it already has).
func (w *Worker) SyncOnce(ctx context.Context) (Result, error) {
	var res Result
	n, size := w.BatchRecords, w.BatchBytes
	if n <= 0 {
		n = ksync.DefaultBatchRecords
	}
	if size <= 0 {
		size = ksync.DefaultBatchBytes
	}
	start, err := w.DB.SyncCounts(ctx)
	if err != nil {
		return res, err
	}
	p := Progress{Total: start.Pending}
	// Two stages, so both cores work: the next batch is read, marked sent
	// and framed while the last one is on the wire and being ingested.
	type prepared struct {
		ids  []string
		body []byte
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan prepared, 1)
	prepErr := make(chan error, 1)
	go func() {
		defer close(ready)
		after := ""
		for {
			batch, err := w.DB.OutboxAfter(pctx, after, n, size)
			if err != nil || len(batch) == 0 {
				prepErr <- err
				return
			}
			var pending, ids []string
			var b ksync.Batch
			for _, o := range batch {
				r := ToRecord(o)
				// A record past the protocol's limits would make the central
				// refuse the whole batch, again and again: refuse it here.
				if lerr := ksync.CheckRecordLimits(r); lerr != nil {
					if err := w.DB.MarkRefused(pctx, "sync", o.ID, "too_large: "+lerr.Error()); err != nil {
						prepErr <- err
						return
					}
					continue
				}
				b.Records, ids = append(b.Records, r), append(ids, o.ID)
				if o.Sync == certkiosk.SyncPending {
					pending = append(pending, o.ID)
				}
			}
			after = batch[len(batch)-1].ID
			if len(ids) == 0 {
				continue
			}
			if err := w.DB.MarkSent(pctx, "sync", pending); err != nil {
				prepErr <- err
				return
			}
			if b.Audit, err = w.auditHead(pctx); err != nil {
				prepErr <- err
				return
			}
			body, err := ksync.EncodeBatch(b)
			if err != nil {
				prepErr <- err
				return
			}
			select {
			case ready <- prepared{ids, body}:
			case <-pctx.Done():
				prepErr <- nil
				return
			}
		}
	}()
	var failure error
	for pb := range ready {
		resp, err := w.Client.SendEncoded(ctx, pb.body, pb.ids)
		if err != nil {
			failure = err
			break
		}
		res.Sent += len(pb.ids)
		if resp.Audit != nil {
			res.Audit = resp.Audit.Status
			if err := w.auditAnswered(ctx, resp.Audit); err != nil {
				failure = err
				break
			}
		}
		var acked []string
		for _, r := range resp.Results {
			switch {
			case ksync.Acknowledged(r.Status):
				acked = append(acked, r.ID)
			case r.Status == ksync.StatusConflict || r.Status == ksync.StatusInvalid:
				res.Conflicts++
				if err := w.DB.MarkRefused(ctx, "sync", r.ID, r.Status+": "+r.Error); err != nil {
					failure = err
				}
			}
		}
		if err := w.DB.MarkAcked(ctx, "sync", acked); err != nil && failure == nil {
			failure = err
		}
		if failure != nil {
			break
		}
		res.Acked += len(acked)
		p.Sent, p.Acked, p.Refused = res.Sent, res.Acked, res.Conflicts
		w.report(ctx, p)
	}
	stop()
	for range ready { // let the preparer finish
	}
	if err := <-prepErr; err != nil && failure == nil && ctx.Err() == nil {
		failure = err
	}
	end, err := w.DB.SyncCounts(ctx)
	if err != nil {
		return res, err
	}
	res.Pending = end.Pending
	if failure == nil {
		// Contact checks and changes follow the records: few and small.
		res.Contacts, failure = PushContacts(ctx, w.DB, w.Client, "sync")
	}
	if failure == nil {
		if err := w.DB.NoteSync(ctx, time.Now()); err != nil {
			w.report(ctx, Progress{Err: err}) // the records are safe; only "last synced" is behind
		}
		p.Done = true
		w.report(ctx, p)
	}
	return res, failure
}

// Run syncs until ctx ends: at once, then every Interval or on SyncNow;
// after a retryable failure it waits with exponential backoff and jitter;
// after another refusal it reports it and waits for SyncNow or the next
// interval rather than retrying blindly.
func (w *Worker) Run(ctx context.Context) {
	interval := w.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	bo := w.Backoff
	if bo.Max == 0 {
		bo = ksync.DefaultBackoff()
	}
	attempt := 0
	for {
		_, err := w.SyncOnce(ctx)
		if err == nil {
			// The roster rides along when the network is up; a failure here
			// is reported and retried with the next run.
			if _, rerr := PullRoster(ctx, w.DB, w.Client, "sync"); rerr != nil && ctx.Err() == nil {
				w.report(ctx, Progress{Err: rerr})
			} else if _, perr := PullPhotos(ctx, w.DB, w.Client, "sync"); perr != nil && ctx.Err() == nil {
				w.report(ctx, Progress{Err: perr})
			}
		}
		if ctx.Err() != nil {
			return
		}
		wait := interval
		if err != nil && ksync.Retryable(err) {
			wait = bo.Delay(attempt)
			attempt++
		} else {
			attempt = 0
		}
		if err != nil {
			w.report(ctx, Progress{Err: err, NextTry: time.Now().Add(wait)})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.kick():
			t.Stop()
			attempt = 0
		case <-t.C:
		}
	}
}
