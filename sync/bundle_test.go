package sync_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	ksync "certkiosk/sync"
	"certkiosk/sync/terminal"
)

func TestOfflineBundleExactlyOnce(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.save(t, 40)
	b, n, err := terminal.MakeBundle(ctx, r.kiosk, "kioskctl")
	if err != nil || n != 40 {
		t.Fatalf("bundle: %d %v", n, err)
	}
	// Through a file and back, as on a USB stick.
	data, _ := json.Marshal(b)
	carried, err := ksync.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	// F6: what the stick carries shows no identity number, masked or not,
	// and no field of a record.
	for _, p := range r.roster {
		if strings.Contains(string(data), string(p.ID)) || strings.Contains(string(data), string(p.ID)[:14]) {
			t.Fatalf("bundle file holds identity number %s", p.ID.Masked())
		}
	}
	for _, field := range []string{"retiree_id", "verdict", "staff_id", "A001"} {
		if strings.Contains(string(data), field) {
			t.Fatalf("bundle file shows %q in clear", field)
		}
	}
	// Only the central's identity opens the body.
	other, _ := central.LoadOrCreateKeys(t.TempDir())
	if _, _, err := central.ImportBundle(ctx, r.store, other, carried, time.Now()); err == nil {
		t.Fatal("a central with another key opened the bundle")
	}
	// Tampered bundles are refused, nothing ingested.
	evil := carried
	evil.Body = append([]byte(nil), carried.Body...)
	evil.Body[len(evil.Body)-20] ^= 1
	if _, _, err := central.ImportBundle(ctx, r.store, r.keys, evil, time.Now()); err == nil {
		t.Fatal("a tampered bundle was imported")
	}
	// A plaintext v1 bundle is refused.
	v1 := strings.Replace(string(data), ksync.BundleFormat, ksync.BundleFormatV1, 1)
	if _, err := ksync.ParseBundle([]byte(v1)); err == nil || !strings.Contains(err.Error(), "plaintext") {
		t.Fatalf("v1 bundle: %v", err)
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
	if _, err := terminal.ApplyReceipt(ctx, r.kiosk, "kioskctl", bad); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("altered receipt: %v", err)
	}
	n, err = terminal.ApplyReceipt(ctx, r.kiosk, "kioskctl", rc)
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
	b, _, _ := terminal.MakeBundle(ctx, r.kiosk, "kioskctl")
	if _, _, err := central.ImportBundle(ctx, r.store, r.keys, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := (&terminal.Worker{DB: r.kiosk, Client: r.client(t, "")}).SyncOnce(ctx)
	if err != nil || res.Acked != 15 {
		t.Fatalf("sync: %+v %v", res, err)
	}
	r.exactlyOnce(t)
}
