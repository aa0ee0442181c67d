package ui

import (
	"crypto/ed25519"
	"crypto/rand"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"certkiosk"
)

// The QR code on the receipt is read back by a real decoder (zbarimg, from
// Debian's zbar-tools, installed by scripts/deps.sh) and verifies.
func TestReceiptQRScansAndVerifies(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tok := certkiosk.ReceiptToken{Receipt: certkiosk.NewReceiptCode(), Terminal: "T-0001",
		Retiree: certkiosk.Mask("11010519491231002X"), Date: "2026-11-27", Verdict: certkiosk.VerdictPass}.Sign(priv)
	img, err := ReceiptQR(tok, 320)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "qr.png")
	f, _ := os.Create(path)
	png.Encode(f, img)
	f.Close()
	out, err := exec.Command("zbarimg", "--quiet", "--raw", path).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if got != tok {
		t.Fatalf("scanned %q, encoded %q", got, tok)
	}
	if _, err := certkiosk.VerifyReceiptToken(got, pub); err != nil {
		t.Fatalf("scanned token does not verify: %v", err)
	}
}
