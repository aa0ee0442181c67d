package sync_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"certkiosk"
	ksync "certkiosk/sync"
	"certkiosk/sync/central"
)

func TestOfflineBundleExactlyOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 40)
	b, n, err := ksync.MakeBundle(ctx, r.kiosk, "kioskctl")
	if err != nil || n != 40 {
		t.Fatalf("bundle: %d %v", n, err)
	}
	// Through a file and back, as on a USB stick.
	data, _ := json.Marshal(b)
	var carried ksync.Bundle
	if err := json.Unmarshal(data, &carried); err != nil {
		t.Fatal(err)
	}
	// Tampered bundles are refused, nothing ingested.
	evil := carried
	evil.Body = []byte(strings.Replace(string(carried.Body), `"verdict":"pass"`, `"verdict":"fail"`, 1))
	if _, _, err := central.ImportBundle(ctx, r.store, r.keys, evil, time.Now()); err == nil {
		t.Fatal("a tampered bundle was imported")
	}
	forged := carried
	forged.Terminal = "T-0002"
	if _, _, err := central.ImportBundle(ctx, r.store, r.keys, forged, time.Now()); err == nil {
		t.Fatal("a bundle under another terminal's name was imported")
	}
	if st, _ := r.store.Stats(ctx); st.Records != 0 {
		t.Fatalf("refused bundles ingested %d records", st.Records)
	}
	res, rc, err := central.ImportBundle(ctx, r.store, r.keys, carried, time.Now())
	if err != nil || len(res) != 40 || len(rc.Acked) != 40 {
		t.Fatalf("import: %d results, %d acked, %v", len(res), len(rc.Acked), err)
	}
	// Importing twice changes nothing.
	if _, rc2, err := central.ImportBundle(ctx, r.store, r.keys, carried, time.Now()); err != nil || len(rc2.Acked) != 40 {
		t.Fatalf("second import: %v", err)
	}
	if st, _ := r.store.Stats(ctx); st.Records != 40 || st.Duplicates != 40 {
		t.Fatalf("after two imports: %+v", st)
	}
	// A receipt for another terminal, or altered, is refused.
	bad := rc
	bad.Acked = append([]string{}, rc.Acked...)
	bad.Acked = append(bad.Acked, "0190aaaa-0000-7000-8000-000000000000")
	if _, err := ksync.ApplyReceipt(ctx, r.kiosk, "kioskctl", bad); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("altered receipt: %v", err)
	}
	n, err = ksync.ApplyReceipt(ctx, r.kiosk, "kioskctl", rc)
	if err != nil || n != 40 {
		t.Fatalf("apply receipt: %d %v", n, err)
	}
	r.exactlyOnce(t)
}

// Records delivered by bundle but whose receipt never came back are
// acknowledged by the next online sync.
func TestBundleThenOnlineSync(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 15)
	b, _, _ := ksync.MakeBundle(ctx, r.kiosk, "kioskctl")
	if _, _, err := central.ImportBundle(ctx, r.store, r.keys, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := (&ksync.Worker{DB: r.kiosk, Client: r.client(t, "")}).SyncOnce(ctx)
	if err != nil || res.Acked != 15 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	r.exactlyOnce(t)
}
