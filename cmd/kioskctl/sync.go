package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand"
	"os"
	"time"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

func cmdEnroll(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	url := fs.String("central", "", "the central service, https://HOST:PORT")
	token := fs.String("token", "", "one-time enrollment token from `centrald terminal add`")
	insecure := fs.Bool("insecure-http", false, "allow plain HTTP (loopback tests only)")
	pin := fs.String("pin", "", "SHA-256 of the central's TLS public key (hex), from its operator")
	if err := fs.Parse(args); err != nil || *url == "" || *token == "" || fs.NArg() > 0 {
		return errUsage
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	resp, err := terminal.Enroll(ctx, db, actor(), *url, *token, *insecure, *pin)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "enrolled as %s (%s); evidence is now encrypted to the central's key\n", resp.TerminalID, resp.Name)
	return nil
}

// cmdSync drains the outbox once and prints {"sent","acked","pending","conflicts"};
// exit 0 only when everything is acknowledged.
func cmdSync(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	batch := fs.Int("batch", ksync.DefaultBatchRecords, "records per batch")
	retries := fs.Int("retries", 5, "retries with backoff after network errors")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return errUsage
	}
	db, c, err := openEnrolled(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	w := &terminal.Worker{DB: db, Client: c, BatchRecords: *batch}
	if !*asJSON {
		w.OnProgress = func(p terminal.Progress) {
			fmt.Fprintf(e.stderr, "\rsent %d / %d", p.Sent, p.Total)
		}
	}
	var total terminal.Result
	bo := ksync.DefaultBackoff()
	for attempt := 0; ; attempt++ {
		res, err := w.SyncOnce(ctx)
		total.Sent += res.Sent
		total.Acked += res.Acked
		total.Conflicts += res.Conflicts
		total.Pending = res.Pending
		total.Contacts.Sent += res.Contacts.Sent
		total.Contacts.Acked += res.Contacts.Acked
		total.Contacts.Refused += res.Contacts.Refused
		if err == nil || !ksync.Retryable(err) || attempt >= *retries {
			if !*asJSON {
				fmt.Fprintln(e.stderr)
			}
			if err != nil {
				printSync(e, total, *asJSON)
				return err
			}
			break
		}
		d := bo.Delay(attempt)
		fmt.Fprintf(e.stderr, "sync: %v; retrying in %s\n", err, d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	counts, err := db.SyncCounts(ctx)
	if err != nil {
		return err
	}
	total.Pending = counts.Pending
	printSync(e, total, *asJSON)
	if counts.Pending > 0 || counts.Refused > 0 {
		return certkiosk.Errorf(certkiosk.ECONFLICT, fmt.Sprintf("还有%d条未确认、%d条被中心拒绝", counts.Pending, counts.Refused),
			"%d pending, %d refused by the central", counts.Pending, counts.Refused)
	}
	return nil
}

func printSync(e *env, r terminal.Result, asJSON bool) {
	if asJSON {
		json.NewEncoder(e.stdout).Encode(r)
		return
	}
	fmt.Fprintf(e.stdout, "sent %d, acked %d, pending %d, conflicts %d\n", r.Sent, r.Acked, r.Pending, r.Conflicts)
}

// cmdLoadgen saves synthetic certifications (marked synthetic, frames from
// a "file") with real encrypted JPEG evidence of about the asked size, for
// load tests. It writes only to a directory made for them (init
// --load-test): never to real retirees, never with a published PIN.
func cmdLoadgen(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	n := fs.Int("records", 100, "how many records")
	kb := fs.Int("evidence-kb", 20, "evidence size in KB (a JPEG of about this size)")
	seed := fs.Int64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil || *n < 1 || *kb < 1 || fs.NArg() > 0 {
		return errUsage
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, err := db.IsLoadTest(ctx); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("loadgen %s: %w", e.dataDir, store.ErrNotLoadTest)
	}
	if n, err := db.CountRetirees(ctx); err != nil {
		return err
	} else if n == 0 {
		rs, err := store.DemoRoster(store.DemoRosterSize, 1, certkiosk.DateOf(time.Now()))
		if err != nil {
			return err
		}
		if err := db.PutRetirees(ctx, rs, true); err != nil {
			return err
		}
	}
	ids, err := db.ListRetireeIDs(ctx, 1000)
	if err != nil {
		return err
	}
	staff, err := db.ListStaff(ctx)
	if err != nil || len(staff) == 0 {
		return certkiosk.Errorf(certkiosk.ENOTFOUND, "没有工作人员账号，请先运行 kioskctl init --load-test", "no staff account")
	}
	rng := rand.New(rand.NewSource(*seed))
	frame := jpegOfSize(*kb*1024, rng)
	for i := 0; i < *n; i++ {
		now := time.Now()
		c := &certkiosk.Certification{RetireeID: ids[rng.Intn(len(ids))], StaffID: staff[0].ID,
			Method: certkiosk.MethodBlink, Verdict: certkiosk.VerdictPass, Synthetic: true, FrameSource: certkiosk.FrameFile,
			Metrics: []byte(fmt.Sprintf(`{"synthetic":true,"i":%d}`, i)), Started: now.Add(-8 * time.Second), Ended: now, Attempt: 1}
		if err := db.SaveCertification(ctx, "loadgen", c, []store.Evidence{{Kind: store.EvidenceBestFrame, Data: frame}}); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "saved %d synthetic record(s) with %d KB evidence\n", *n, len(frame)/1024)
	return nil
}

// jpegOfSize encodes noise at a quality that lands near size bytes.
func jpegOfSize(size int, rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Intn(256))
	}
	for y := 0; y < 240; y++ { // some structure, so it looks like a picture
		for x := 0; x < 320; x++ {
			if (x/40+y/40)%2 == 0 {
				img.Set(x, y, color.RGBA{200, 180, 160, 255})
			}
		}
	}
	var best []byte
	for q := 5; q <= 100; q += 5 {
		var b bytes.Buffer
		jpeg.Encode(&b, img, &jpeg.Options{Quality: q})
		if best == nil || abs(b.Len()-size) < abs(len(best)-size) {
			best = b.Bytes()
		}
		if b.Len() > size {
			break
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// cmdExport writes the pending records, with their encrypted evidence, to a
// signed bundle for offline delivery.
func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("out", "", "bundle file to write (e.g. on a USB stick)")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := terminal.ExportBundle(ctx, db, actor(), *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "exported %d record(s) to %s\n", n, *out)
	return nil
}

// cmdImportReceipt applies the central's receipt for a bundle.
func cmdImportReceipt(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return errUsage
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return certkiosk.Errorf(certkiosk.ENOTFOUND, "回执文件打不开", "read receipt: %v", err)
	}
	var r ksync.Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return certkiosk.Errorf(certkiosk.EINVALID, "回执文件格式不对", "parse receipt: %v", err)
	}
	db, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := terminal.ApplyReceipt(ctx, db, actor(), r)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d record(s) acknowledged by the central\n", n)
	return nil
}

// openEnrolled opens the store of an enrolled terminal with its client.
func openEnrolled(ctx context.Context, e *env) (*store.DB, *ksync.Client, error) {
	db, err := openStore(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	c, err := terminal.ClientFor(ctx, db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, c, nil
}
