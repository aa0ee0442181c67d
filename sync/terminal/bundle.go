package terminal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"certkiosk"
	"certkiosk/store"
	ksync "certkiosk/sync"

	"filippo.io/age"
)

// MakeBundle exports every record the central has not acknowledged, with
// its encrypted evidence, signed with the terminal's key.
func MakeBundle(ctx context.Context, db *store.DB, actor string) (ksync.Bundle, int, error) {
	c, err := ClientFor(ctx, db)
	if err != nil {
		return ksync.Bundle{}, 0, err
	}
	rec, err := centralRecipient(ctx, db)
	if err != nil {
		return ksync.Bundle{}, 0, err
	}
	recs, err := db.Outbox(ctx, ksync.MaxBundleRecords, 1<<62)
	if err != nil {
		return ksync.Bundle{}, 0, err
	}
	batch := ksync.Batch{Records: make([]ksync.Record, len(recs))}
	for i, o := range recs {
		batch.Records[i] = ToRecord(o)
	}
	// The audit head travels with the records, as with a batch: the
	// central anchors a terminal that delivers only by USB (F7).
	if batch.Audit, err = (&Worker{DB: db}).auditHead(ctx); err != nil {
		return ksync.Bundle{}, 0, err
	}
	plain, err := json.Marshal(batch)
	if err != nil {
		return ksync.Bundle{}, 0, fmt.Errorf("export: %w", err)
	}
	var enc bytes.Buffer
	w, err := age.Encrypt(&enc, rec)
	if err == nil {
		_, err = w.Write(plain)
	}
	if err == nil {
		err = w.Close()
	}
	clear(plain)
	if err != nil {
		return ksync.Bundle{}, 0, fmt.Errorf("export: encrypt: %w", err)
	}
	body := enc.Bytes()
	b := ksync.Bundle{Format: ksync.BundleFormat, Terminal: c.Terminal, Created: time.Now().UTC(), Body: body}
	b.Sign(c.Key)
	if err := db.Audit(ctx, actor, store.ActExport, c.Terminal, map[string]any{"records": len(recs)}); err != nil {
		return ksync.Bundle{}, 0, err
	}
	return b, len(recs), nil
}

// centralRecipient is the central's age recipient, received at enrollment.
func centralRecipient(ctx context.Context, db *store.DB) (*age.X25519Recipient, error) {
	src, err := db.Setting(ctx, store.SetRecipientSource, "")
	if err != nil {
		return nil, err
	}
	r, err := db.Setting(ctx, store.SetEvidenceRecipient, "")
	if err != nil {
		return nil, err
	}
	if src != store.RecipientCentral || r == "" {
		return nil, ErrNotEnrolled
	}
	rec, err := age.ParseX25519Recipient(r)
	if err != nil {
		return nil, fmt.Errorf("central recipient: %w", err)
	}
	return rec, nil
}

// ApplyReceipt checks a central receipt against the signing key received
// at enrollment and marks the records it names acknowledged.
func ApplyReceipt(ctx context.Context, db *store.DB, actor string, r ksync.Receipt) (int, error) {
	keyText, err := db.Setting(ctx, store.SetCentralSigningKey, "")
	if err != nil {
		return 0, err
	}
	pub, err := ksync.DecodePublicKey(keyText)
	if err != nil {
		return 0, ErrNotEnrolled
	}
	me, _ := db.Setting(ctx, store.SetTerminalID, "")
	if r.Terminal != me || !r.Verify(pub) {
		return 0, certkiosk.E(certkiosk.EINVALID, "error.terminal.receipt", "receipt does not verify for terminal %s", me)
	}
	if err := db.MarkAcked(ctx, actor, r.Acked); err != nil {
		return 0, err
	}
	if err := (&Worker{DB: db}).auditAnswered(ctx, r.Audit); err != nil {
		return 0, err
	}
	return len(r.Acked), nil
}

// ExportBundle writes MakeBundle's bundle to path through a temporary file,
// so a pulled USB stick never holds half a bundle under the final name.
func ExportBundle(ctx context.Context, db *store.DB, actor, path string) (int, error) {
	b, n, err := MakeBundle(ctx, db, actor)
	if err != nil {
		return 0, err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, certkiosk.E(certkiosk.EUNAVAILABLE, "error.terminal.export_write", "export to %s: %v", path, err)
	}
	if _, err := f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return 0, certkiosk.E(certkiosk.EUNAVAILABLE, "error.terminal.export_space", "export to %s: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("export to %s: %w", path, err)
	}
	return n, nil
}
