package ui

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"certkiosk"
)

// The receipt of a pass that ends a suspension says when payment resumes
// and when the back pay arrives, read back by pdftotext.
func TestReceiptCarriesTheResumption(t *testing.T) {
	if err := UseLanguage("zh"); err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	code := certkiosk.NewReceiptCode()
	tok := certkiosk.ReceiptToken{Receipt: code, Terminal: "T-0001", Retiree: certkiosk.Mask("11010519491231002X"),
		Date: "2026-12-20", Verdict: certkiosk.VerdictPass}.Sign(priv)
	c := &certkiosk.Certification{Resume: certkiosk.Month{Year: 2027, Month: 1}, BackpayMonths: 2,
		BackpayMonth: certkiosk.Month{Year: 2027, Month: 2}}
	sentence := PassSentence(c, certkiosk.Date{Year: 2027, Month: 12, Day: 20})
	if sentence != "您的养老金将于 2027年1月恢复发放，停发的 2 个月将于 2027年2月补发" {
		t.Fatalf("sentence = %q", sentence)
	}
	pdf, err := ReceiptPDF(ReceiptInfo{Name: "王秀英", MaskedID: certkiosk.Mask("11010519491231002X"), Method: certkiosk.MethodBlink,
		Verdict: certkiosk.VerdictPass, Time: "2026-12-20 10:05", Terminal: "T-0001", Due: "2027-12-20", Receipt: code,
		Token: tok, Pension: sentence})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils): %v", err)
	}
	// The sentence wraps in the 70 mm column: compare without whitespace.
	flat := regexp.MustCompile(`\s+`).ReplaceAllString(string(out), "")
	// "核" starts a wrapped line of the note: fpdf's MultiCell used to drop it.
	for _, want := range []string{"您的养老金将于2027年1月恢复发放", "停发的2个月将于2027年2月补发", string(code), "可核验真伪"} {
		if !strings.Contains(flat, want) {
			t.Errorf("receipt lacks %q:\n%s", want, out)
		}
	}
	// In time: the next due date instead.
	next := PassSentence(&certkiosk.Certification{}, certkiosk.Date{Year: 2027, Month: 11, Day: 28})
	if next != "下次请在 2027-11-28 前认证" {
		t.Fatalf("in-time sentence = %q", next)
	}
	if err := UseLanguage("en"); err != nil {
		t.Fatal(err)
	}
	defer UseLanguage("zh")
	if s := PassSentence(c, certkiosk.Date{}); !strings.Contains(s, "1/2027") || !strings.Contains(s, "2 months") {
		t.Fatalf("English sentence = %q", s)
	}
	if s := PensionText(certkiosk.Pension{Status: certkiosk.PensionSuspended, SuspendedSince: certkiosk.Month{Year: 2026, Month: 12}}); s != "Suspended since 12/2026" {
		t.Fatalf("English status = %q", s)
	}
	if s := RelationText("子女"); s != "Son or daughter" {
		t.Fatalf("English relation = %q", s)
	}
}
