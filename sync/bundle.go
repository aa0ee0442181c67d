package sync

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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

// Sign signs the bundle with the terminal's key.
func (b *Bundle) Sign(key ed25519.PrivateKey) {
	b.Signature = ed25519.Sign(key, signingBytes(b.Format, b.Terminal, b.Created, b.Body))
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

// Receipt is the central's signed acknowledgement of an imported bundle.
type Receipt struct {
	Format   string    `json:"format"`
	Terminal string    `json:"terminal"`
	Created  time.Time `json:"created_at"`
	Acked    []string  `json:"acked"` // record IDs the central has
	// Audit is the central's check of the audit head the bundle carried
	// (F7): the terminal keeps an ok one as its new anchor.
	Audit     *AuditAnswer `json:"audit,omitempty"`
	Signature []byte       `json:"signature"`
}

// body is what the signature covers besides format, terminal and time: the
// acknowledged IDs, then the audit answer when there is one (a receipt
// without one verifies as before it existed).
func (r Receipt) body() []byte {
	b, _ := json.Marshal(r.Acked)
	if r.Audit != nil {
		a, _ := json.Marshal(r.Audit)
		b = append(append(b, '\n'), a...)
	}
	return b
}

// Verify checks the receipt's format and the central's signature.
func (r Receipt) Verify(pub ed25519.PublicKey) bool {
	return r.Format == ReceiptFormat && ed25519.Verify(pub, signingBytes(r.Format, r.Terminal, r.Created, r.body()), r.Signature)
}

// SignReceipt signs a receipt with the central's key (sign is Keys.Sign).
func SignReceipt(r *Receipt, sign func([]byte) []byte) {
	r.Format = ReceiptFormat
	r.Signature = sign(signingBytes(r.Format, r.Terminal, r.Created, r.body()))
}
