package sync

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/store"

	"filippo.io/age"
)

// Offline transfer, for sites with no network: the terminal writes its
// pending records into a signed bundle (a USB stick carries it), the
// central imports it with the same idempotency as online batches and
// writes a signed receipt that the terminal imports to mark the records
// acknowledged. Records so delivered are also acknowledged by the next
// online sync, which the central answers with "duplicate".
//
// The body is encrypted with age to the central's X25519 recipient (the
// one evidence is encrypted to): a lost stick shows no identity number,
// and only the central opens it. Plaintext v1 bundles are refused.
const (
	BundleFormat   = "certkiosk-bundle-v2"
	BundleFormatV1 = "certkiosk-bundle-v1" // plaintext body: refused since v2
	ReceiptFormat  = "certkiosk-receipt-v1"
	// MaxBundleRecords bounds one bundle (about 300 MB at 20 KB each).
	MaxBundleRecords = 15000
)

// Bundle is a signed, self-contained export of pending records.
type Bundle struct {
	Format    string    `json:"format"`
	Terminal  string    `json:"terminal"`
	Created   time.Time `json:"created_at"`
	Body      []byte    `json:"body"` // age file (to the central) of a JSON Batch
	Signature []byte    `json:"signature"`
}

// ParseBundle reads a bundle file: at most MaxBundleBytes, the v2 format.
func ParseBundle(data []byte) (Bundle, error) {
	var b Bundle
	if len(data) > MaxBundleBytes {
		return b, tooLarge("bundle of %d bytes, at most %d", len(data), MaxBundleBytes)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, fmt.Errorf("not a bundle: %w", err)
	}
	if b.Format == BundleFormatV1 {
		return b, fmt.Errorf("a plaintext %s bundle: export it again with this version (bodies are now encrypted)", BundleFormatV1)
	}
	if b.Format != BundleFormat {
		return b, fmt.Errorf("not a %s file", BundleFormat)
	}
	if len(b.Terminal) == 0 || len(b.Terminal) > MaxTerminalIDBytes {
		return b, errors.New("bundle: malformed terminal")
	}
	return b, nil
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
	if SmallOrderKey(pub) || !ed25519.Verify(pub, signingBytes(b.Format, b.Terminal, b.Created, b.Body), b.Signature) {
		return fmt.Errorf("bundle signature does not verify")
	}
	return nil
}

// Batch decrypts the bundle's body with the central's identity and decodes
// its records (at most MaxBundleRecords, each within the record limits).
func (b Bundle) Batch(identities ...age.Identity) (Batch, error) {
	r, err := age.Decrypt(bytes.NewReader(b.Body), identities...)
	if err != nil {
		return Batch{}, fmt.Errorf("bundle body: not encrypted to this central: %w", err)
	}
	batch, err := DecodeBundleBody(io.LimitReader(r, MaxBundleBytes))
	if err != nil {
		return batch, fmt.Errorf("bundle body: %w", err)
	}
	return batch, nil
}

// DecodeBundleBody decodes a bundle's decrypted body, a JSON Batch.
func DecodeBundleBody(r io.Reader) (Batch, error) {
	return decodeBatchJSONMax(r, MaxBundleRecords)
}

// MakeBundle exports every record the central has not acknowledged, with
// its encrypted evidence, signed with the terminal's key.
func MakeBundle(ctx context.Context, db *store.DB, actor string) (Bundle, int, error) {
	c, err := ClientFor(ctx, db)
	if err != nil {
		return Bundle{}, 0, err
	}
	rec, err := centralRecipient(ctx, db)
	if err != nil {
		return Bundle{}, 0, err
	}
	recs, err := db.Outbox(ctx, MaxBundleRecords, 1<<62)
	if err != nil {
		return Bundle{}, 0, err
	}
	batch := Batch{Records: make([]Record, len(recs))}
	for i, o := range recs {
		batch.Records[i] = ToRecord(o)
	}
	plain, err := json.Marshal(batch)
	if err != nil {
		return Bundle{}, 0, fmt.Errorf("export: %w", err)
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
		return Bundle{}, 0, fmt.Errorf("export: encrypt: %w", err)
	}
	body := enc.Bytes()
	b := Bundle{Format: BundleFormat, Terminal: c.Terminal, Created: time.Now().UTC(), Body: body}
	b.Signature = ed25519.Sign(c.Key, signingBytes(b.Format, b.Terminal, b.Created, b.Body))
	if err := db.Audit(ctx, actor, store.ActExport, c.Terminal, map[string]any{"records": len(recs)}); err != nil {
		return Bundle{}, 0, err
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
