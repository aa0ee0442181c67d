package sync_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/store"
	"certkiosk/sync/terminal"

	"filippo.io/age"
)

// Rotating the central's evidence and signing keys: terminals learn the new
// ones by enrolling again with a fresh token; what was encrypted to the
// old evidence key (records in an outbox, a bundle on a stick) still opens.
func TestRotateCentralKeysAndReenroll(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "central")
	cs, keys := openCentral(t, dir)
	srv := httptest.NewServer((&central.Server{Store: cs, Keys: keys}).Handler())
	defer srv.Close()
	r := newRigWith(t, cs, "T-0001")
	// newRigWith serves its own keys; point the kiosk at this central.
	tok := central.NewToken()
	if err := cs.ReenrollToken(ctx, "T-0001", central.TokenHash(tok), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.Enroll(ctx, r.kiosk, "t", srv.URL, tok, true, ""); err != nil {
		t.Fatal(err)
	}
	oldRecipient := keys.Recipient()
	r.save(t, 2)
	bundle, _, err := terminal.MakeBundle(ctx, r.kiosk, "t") // encrypted to the old key
	if err != nil {
		t.Fatal(err)
	}

	for _, kind := range []string{central.KeyEvidence, central.KeySigning} {
		if err := central.RotateKey(dir, kind); err != nil {
			t.Fatal(err)
		}
	}
	newKeys, err := central.LoadOrCreateKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if newKeys.Recipient() == oldRecipient || newKeys.SigningPublic().Equal(keys.SigningPublic()) {
		t.Fatal("rotation kept the old keys")
	}
	if ids := strings.Split(newKeys.Identity(), "\n"); len(ids) != 2 {
		t.Fatalf("identity export after a rotation has %d identities, want current and retired", len(ids))
	}
	srv2 := httptest.NewServer((&central.Server{Store: cs, Keys: newKeys}).Handler())
	defer srv2.Close()

	// The old bundle still imports: the retired identity opens it.
	if _, rc, err := central.ImportBundle(ctx, cs, newKeys, bundle, time.Now()); err != nil || len(rc.Acked) != 2 {
		t.Fatalf("bundle encrypted to the retired key: %v", err)
	}
	// Re-enrollment hands the terminal the new keys.
	tok2 := central.NewToken()
	if err := cs.ReenrollToken(ctx, "T-0001", central.TokenHash(tok2), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.Enroll(ctx, r.kiosk, "t", srv2.URL, tok2, true, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.kiosk.Setting(ctx, store.SetEvidenceRecipient, ""); got != newKeys.Recipient() {
		t.Fatalf("kiosk encrypts to %s after re-enrollment", got)
	}
	r.save(t, 1)
	c := r.client(t, "")
	res, err := (&terminal.Worker{DB: r.kiosk, Client: c}).SyncOnce(ctx)
	if err != nil || res.Acked != 3 {
		t.Fatalf("sync after re-enrollment: %+v %v", res, err)
	}
	// The new record's evidence opens with the new identity only.
	newest, _ := r.kiosk.ListCertifications(ctx, store.CertFilter{Limit: 1})
	ev, _ := r.kiosk.EvidenceOf(ctx, newest[0].ID)
	newID, _ := age.ParseX25519Identity(strings.Split(newKeys.Identity(), "\n")[0])
	if _, err := age.Decrypt(strings.NewReader(string(ev[0].Ciphertext)), newID); err != nil {
		t.Fatalf("new evidence does not open with the new identity: %v", err)
	}
	// A receipt signed with the new key is accepted.
	b2, _, _ := terminal.MakeBundle(ctx, r.kiosk, "t")
	_, rc, err := central.ImportBundle(ctx, cs, newKeys, b2, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.ApplyReceipt(ctx, r.kiosk, "t", rc); err != nil && certkiosk.ErrorCodeOf(err) == certkiosk.EINVALID {
		t.Fatalf("receipt signed with the new key refused: %v", err)
	}
}
