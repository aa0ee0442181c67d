package certkiosk_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"certkiosk"
	"certkiosk/internal/fuzzseed"
)

// Parsers of what people type or scan: identity numbers, receipt codes,
// receipt tokens (QR payloads). `go test` runs the seeds in testdata/fuzz;
// `make fuzz` explores.

var idSeeds = [][]any{
	{"11010519491231002X"}, {"11010519491231002x"}, {" 110105194912310021 "}, {"110105491231002"},
	{"810000199001010012"}, {"911000199001010012"}, {"1101051949123100"}, {"１１０１０５"}, {""},
	{"99010519491231002X"}, {"11010520991231002X"}, {"110105194902300025"},
}

func FuzzParseResidentID(f *testing.F) {
	for _, s := range idSeeds {
		f.Add(s[0].(string))
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := certkiosk.ParseResidentID(s)
		if err != nil {
			msg := certkiosk.ErrorMessageOf(err) + err.Error()
			if d := strings.TrimSpace(s); len(d) >= 15 && strings.Contains(msg, d) {
				t.Fatalf("error for %q repeats the number: %q", s, msg)
			}
			return
		}
		if len(id) != 18 {
			t.Fatalf("%q parsed to %q", s, id)
		}
		again, err := certkiosk.ParseResidentID(string(id))
		if err != nil || again != id {
			t.Fatalf("canonical form %q does not parse to itself: %q %v", id, again, err)
		}
		if m := id.Masked(); strings.Contains(m, string(id[6:14])) {
			t.Fatalf("mask %q shows the birth date of %q", m, id)
		}
	})
}

var receiptSeeds = [][]any{{"AB12-CD34-5"}, {"ab12cd345"}, {"0000-0000-0"}, {"OIL1-2345-6"}, {"ÄÄÄÄ"}, {""}, {"----------"}}

func FuzzParseReceiptCode(f *testing.F) {
	for _, s := range receiptSeeds {
		f.Add(s[0].(string))
	}
	f.Add(string(certkiosk.NewReceiptCode()))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := certkiosk.ParseReceiptCode(s)
		if err != nil {
			return
		}
		again, err := certkiosk.ParseReceiptCode(string(c))
		if err != nil || again != c || len(c) != 11 {
			t.Fatalf("%q → %q, which parses to %q %v", s, c, again, err)
		}
	})
}

var tokenKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

func tokenSeeds() [][]any {
	good := certkiosk.ReceiptToken{Receipt: "AB12-CD34-5", Terminal: "T-0001", Retiree: "110105********002X",
		Date: "2026-11-27", Verdict: certkiosk.VerdictPass}.Sign(tokenKey)
	return [][]any{{good}, {strings.Replace(good, "CK1.", "CK2.", 1)}, {good + ".x"}, {"CK1.."}, {"CK1.e30.AAAA"}, {""},
		{"CK1." + strings.Repeat("A", 300) + ".B"}}
}

func FuzzReceiptToken(f *testing.F) {
	for _, s := range tokenSeeds() {
		f.Add(s[0].(string))
	}
	pub := tokenKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, s string) {
		certkiosk.ParseReceiptToken(s)
		tok, err := certkiosk.VerifyReceiptToken(s, pub)
		if err != nil {
			return
		}
		// Whatever verifies was signed by the key and carries a valid code.
		if _, err := certkiosk.ParseReceiptCode(string(tok.Receipt)); err != nil {
			t.Fatalf("verified token %q with a bad receipt code: %v", s, err)
		}
	})
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzParseResidentID", idSeeds...)
	fuzzseed.Write(t, "FuzzParseReceiptCode", receiptSeeds...)
	fuzzseed.Write(t, "FuzzReceiptToken", tokenSeeds()...)
	fuzzseed.Write(t, "FuzzParsePhone", phoneSeeds...)
	fuzzseed.Write(t, "FuzzCleanRelative", relativeSeeds...)
}
