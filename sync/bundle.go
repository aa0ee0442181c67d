package sync

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/store"
)

// Offline transfer, for sites with no network: the terminal writes its
// pending records into a signed bundle (a USB stick carries it), the
// central imports it with the same idempotency as online batches and
// writes a signed receipt that the terminal imports to mark the records
// acknowledged. Records so delivered are also acknowledged by the next
// online sync, which the central answers with "duplicate".
const (
	BundleFormat  = "certkiosk-bundle-v1"
	ReceiptFormat = "certkiosk-receipt-v1"
	// maxBundleRecords bounds one bundle (about 300 MB at 20 KB each).
	maxBundleRecords = 15000
)

// Bundle is a signed, self-contained export of pending records.
type Bundle struct {
	Format    string    `json:"format"`
	Terminal  string    `json:"terminal"`
	Created   time.Time `json:"created_at"`
	Body      []byte    `json:"body"` // a Batch, as JSON
	Signature []byte    `json:"signature"`
}

func signingBytes(format, who string, created time.Time, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(strings.Join([]string{format, who, created.UTC().Format(time.RFC3339Nano), hex.EncodeToString(sum[:])}, "\n"))
}

// Verify checks the bundle's signature with the terminal's public key.
func (b Bundle) Verify(pub ed25519.PublicKey) error {
	if b.Format != BundleFormat {
		return fmt.Errorf("not a %s file", BundleFormat)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, signingBytes(b.Format, b.Terminal, b.Created, b.Body), b.Signature) {
		return fmt.Errorf("bundle signature does not verify")
	}
	return nil
}

// Batch decodes the bundle's records.
func (b Bundle) Batch() (Batch, error) {
	var batch Batch
	if err := json.Unmarshal(b.Body, &batch); err != nil {
		return batch, fmt.Errorf("bundle body: %w", err)
	}
	return batch, nil
}

// MakeBundle exports every record the central has not acknowledged, with
// its encrypted evidence, signed with the terminal's key.
func MakeBundle(ctx context.Context, db *store.DB, actor string) (Bundle, int, error) {
	c, err := ClientFor(ctx, db)
	if err != nil {
		return Bundle{}, 0, err
	}
	recs, err := db.Outbox(ctx, maxBundleRecords, 1<<62)
	if err != nil {
		return Bundle{}, 0, err
	}
	batch := Batch{Records: make([]Record, len(recs))}
	for i, o := range recs {
		batch.Records[i] = ToRecord(o)
	}
	body, err := json.Marshal(batch)
	if err != nil {
		return Bundle{}, 0, fmt.Errorf("export: %w", err)
	}
	b := Bundle{Format: BundleFormat, Terminal: c.Terminal, Created: time.Now().UTC(), Body: body}
	b.Signature = ed25519.Sign(c.Key, signingBytes(b.Format, b.Terminal, b.Created, b.Body))
	if err := db.Audit(ctx, actor, store.ActExport, c.Terminal, map[string]any{"records": len(recs)}); err != nil {
		return Bundle{}, 0, err
	}
	return b, len(recs), nil
}

// Receipt is the central's signed acknowledgement of an imported bundle.
type Receipt struct {
	Format    string    `json:"format"`
	Terminal  string    `json:"terminal"`
	Created   time.Time `json:"created_at"`
	Acked     []string  `json:"acked"` // record IDs the central has
	Signature []byte    `json:"signature"`
}

func (r Receipt) body() []byte {
	b, _ := json.Marshal(r.Acked)
	return b
}

// SignReceipt signs a receipt with the central's key (sign is Keys.Sign).
func SignReceipt(r *Receipt, sign func([]byte) []byte) {
	r.Format = ReceiptFormat
	r.Signature = sign(signingBytes(r.Format, r.Terminal, r.Created, r.body()))
}

// ApplyReceipt checks a central receipt against the signing key received
// at enrollment and marks the records it names acknowledged.
func ApplyReceipt(ctx context.Context, db *store.DB, actor string, r Receipt) (int, error) {
	keyText, err := db.Setting(ctx, store.SetCentralSigningKey, "")
	if err != nil {
		return 0, err
	}
	pub, err := DecodePublicKey(keyText)
	if err != nil {
		return 0, ErrNotEnrolled
	}
	me, _ := db.Setting(ctx, store.SetTerminalID, "")
	if r.Format != ReceiptFormat || r.Terminal != me ||
		!ed25519.Verify(pub, signingBytes(r.Format, r.Terminal, r.Created, r.body()), r.Signature) {
		return 0, certkiosk.Errorf(certkiosk.EINVALID, "回执文件无效：不是中心为本终端签发的", "receipt does not verify for terminal %s", me)
	}
	if err := db.MarkAcked(ctx, actor, r.Acked); err != nil {
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
		return 0, certkiosk.Errorf(certkiosk.EUNAVAILABLE, "导出文件无法写入，请检查U盘", "export to %s: %v", path, err)
	}
	if _, err := f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return 0, certkiosk.Errorf(certkiosk.EUNAVAILABLE, "导出失败，请检查U盘空间", "export to %s: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("export to %s: %w", path, err)
	}
	return n, nil
}
