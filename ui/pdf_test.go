package ui

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"certkiosk"
)

// The printed receipt, read back as a person's tools would: its text by
// pdftotext, its page rendered by pdftoppm, and the QR code on that page
// scanned by zbarimg — which must give a token that verifies.
func TestReceiptPDFReadsBack(t *testing.T) {
	if err := UseLanguage("zh"); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	code := certkiosk.NewReceiptCode()
	tok := certkiosk.ReceiptToken{Receipt: code, Terminal: "T-0001", Retiree: certkiosk.Mask("11010519491231002X"),
		Date: "2026-11-27", Verdict: certkiosk.VerdictPass}.Sign(priv)
	pdf, err := ReceiptPDF(ReceiptInfo{Name: "王秀英", MaskedID: certkiosk.Mask("11010519491231002X"), Method: certkiosk.MethodBlink,
		Verdict: certkiosk.VerdictPass, Time: "2026-11-27 10:05", Terminal: "T-0001", Due: "2027-11-27", Receipt: code, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.pdf")
	os.WriteFile(path, pdf, 0o600)
	text, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	for _, want := range []string{"养老金领取资格认证回执", "王秀英", "110105********002X", string(code), "通过", "2027-11-27"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("receipt text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(string(text), "11010519491231002X") {
		t.Fatal("receipt prints the full ID number")
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "200", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	scanned, err := exec.Command("zbarimg", "--quiet", "--raw", pages[0]).Output()
	if err != nil {
		t.Fatalf("zbarimg on the printed page: %v", err)
	}
	if _, err := certkiosk.VerifyReceiptToken(strings.TrimSpace(string(scanned)), pub); err != nil {
		t.Fatalf("the printed QR does not verify: %v", err)
	}
}
