package central

import (
	"context"
	"errors"
	"fmt"
	"time"

	ksync "certkiosk/sync"
)

// ImportBundle ingests an offline bundle exactly as an online batch from
// its terminal would be (same checks, same idempotency: importing twice
// changes nothing) and returns the signed receipt for the terminal.
func ImportBundle(ctx context.Context, st Storage, keys *Keys, b ksync.Bundle, now time.Time) ([]ksync.RecordResult, ksync.Receipt, error) {
	if b.Format != ksync.BundleFormat {
		return nil, ksync.Receipt{}, fmt.Errorf("not a %s bundle (plaintext v1 bundles are refused: export again)", ksync.BundleFormat)
	}
	t, err := st.Terminal(ctx, b.Terminal)
	if errors.Is(err, ErrNotFound) || err == nil && t.PublicKey == nil {
		return nil, ksync.Receipt{}, fmt.Errorf("bundle from unknown or unenrolled terminal %q", b.Terminal)
	}
	if err != nil {
		return nil, ksync.Receipt{}, err
	}
	if t.Revoked {
		return nil, ksync.Receipt{}, fmt.Errorf("bundle from revoked terminal %s", t.ID)
	}
	if err := b.Verify(t.PublicKey); err != nil {
		return nil, ksync.Receipt{}, err
	}
	batch, err := b.Batch(keys.Identities()...)
	if err != nil {
		return nil, ksync.Receipt{}, err
	}
	res, err := st.Ingest(ctx, t.ID, batch.Records, now)
	if err != nil {
		return nil, ksync.Receipt{}, err
	}
	rc := ksync.Receipt{Terminal: t.ID, Created: now.UTC(), Acked: []string{}}
	// The bundle's audit head is checked like a batch's: a terminal that
	// delivers only by USB is anchored too, and an alarm is kept when its
	// log was rewritten (F7).
	if batch.Audit != nil {
		a, err := st.RecordAuditHead(ctx, t.ID, *batch.Audit, now)
		if err != nil {
			return nil, ksync.Receipt{}, fmt.Errorf("audit head: %w", err)
		}
		rc.Audit = &a
	}
	for _, r := range res {
		if ksync.Acknowledged(r.Status) {
			rc.Acked = append(rc.Acked, r.ID)
		}
	}
	ksync.SignReceipt(&rc, keys.Sign)
	return res, rc, nil
}
