package sync_test

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"certkiosk"
	"certkiosk/central"
	"certkiosk/store"
	"certkiosk/sync/terminal"
)

// Enrollment and sync over TLS, trusting the central by its pin only.
func TestSyncOverPinnedTLS(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cs, keys := openCentral(t, dir)
	cert, pin, err := central.LoadOrCreateCert(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer((&central.Server{Store: cs, Keys: keys}).Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatal(srv.URL)
	}

	kiosk, _ := store.Open(ctx, filepath.Join(dir, "kiosk"))
	defer kiosk.Close()
	tok := central.NewToken()
	cs.AddTerminal(ctx, "T-0009", "上门服务", central.TokenHash(tok), time.Now(), time.Now().Add(time.Hour))
	if _, err := terminal.Enroll(ctx, kiosk, "t", srv.URL, tok, false, ""); certkiosk.ErrorCodeOf(err) != certkiosk.EINVALID {
		t.Fatalf("https enrollment without a pin: %v", err)
	}
	if _, err := terminal.Enroll(ctx, kiosk, "t", srv.URL, tok, false, strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "pin") {
		t.Fatalf("wrong pin: %v", err)
	}
	if _, err := terminal.Enroll(ctx, kiosk, "t", srv.URL, tok, false, pin); err != nil {
		t.Fatalf("enroll with the pin: %v", err)
	}
	r := &rig{kiosk: kiosk, store: cs}
	kiosk.KDF = store.KDFParams{Time: 1, Memory: 1024, Threads: 1}
	r.roster, _ = store.DemoRoster(5, 1, certkiosk.Date{Year: 2026, Month: 11, Day: 27})
	kiosk.PutRetirees(ctx, r.roster, true)
	kiosk.AddStaff(ctx, "t", certkiosk.Staff{ID: "A001", Role: certkiosk.RoleOperator}, "246810")
	r.save(t, 12)
	c, err := terminal.ClientFor(ctx, kiosk)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&terminal.Worker{DB: kiosk, Client: c}).SyncOnce(ctx)
	if err != nil || res.Acked != 12 {
		t.Fatalf("sync over TLS: %+v %v", res, err)
	}
	r.exactlyOnce(t)
}
