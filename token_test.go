package certkiosk

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
)

func TestReceiptTokenRoundTripAndTamper(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tok := ReceiptToken{Receipt: NewReceiptCode(), Terminal: "T-0001", Retiree: Mask("11010519491231002X"),
		Date: "2026-11-27", Verdict: VerdictPass}
	s := tok.Sign(priv)
	if len(s) > 240 { // QR version 11-M holds 251 bytes
		t.Fatalf("token is %d characters; too long for a small QR code", len(s))
	}
	if strings.Contains(s, "11010519491231002X") {
		t.Fatal("token holds the full ID")
	}
	got, err := VerifyReceiptToken(s, pub)
	if err != nil || got != tok {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := VerifyReceiptToken(s, otherPub); ErrorCodeOf(err) != EINVALID {
		t.Fatalf("other key: %v", err)
	}
	// Change the verdict inside the payload: the signature no longer holds.
	forged := tok
	forged.Verdict = VerdictFail
	fs := forged.Sign(priv)
	mixed := fs[:strings.LastIndexByte(fs, '.')] + s[strings.LastIndexByte(s, '.'):]
	if _, err := VerifyReceiptToken(mixed, pub); err == nil {
		t.Fatal("a payload with another token's signature verified")
	}
	for _, bad := range []string{"", "CK1.", "XX1.a.b", "CK1.!!!.abc", s + ".x"} {
		if _, err := VerifyReceiptToken(bad, pub); ErrorCodeOf(err) != EINVALID || ErrorMessageOf(err) == "" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
