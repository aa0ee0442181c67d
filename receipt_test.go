package certkiosk

import (
	"strings"
	"testing"
)

func TestReceiptCodeRoundTrip(t *testing.T) {
	seen := map[ReceiptCode]bool{}
	for i := 0; i < 2000; i++ {
		c := NewReceiptCode()
		if len(c) != 11 || c[4] != '-' || c[9] != '-' {
			t.Fatalf("code %q not XXXX-XXXX-C", c)
		}
		if seen[c] {
			t.Fatalf("duplicate code %s in 2000", c)
		}
		seen[c] = true
		got, err := ParseReceiptCode(strings.ToLower(strings.ReplaceAll(string(c), "-", " ")))
		if err != nil || got != c {
			t.Fatalf("parse %s: %q, %v", c, got, err)
		}
	}
}

// Every single-character substitution and every swap of two different
// neighbours must be caught.
func TestReceiptCheckCatchesTypos(t *testing.T) {
	for i := 0; i < 200; i++ {
		c := strings.ReplaceAll(string(NewReceiptCode()), "-", "")
		for pos := 0; pos < 9; pos++ {
			for _, r := range receiptAlphabet {
				if byte(r) == c[pos] {
					continue
				}
				typo := c[:pos] + string(r) + c[pos+1:]
				if _, err := ParseReceiptCode(typo); err == nil {
					t.Fatalf("substitution %s → %s accepted", c, typo)
				}
			}
			if pos < 8 && c[pos] != c[pos+1] {
				swap := c[:pos] + string(c[pos+1]) + string(c[pos]) + c[pos+2:]
				if _, err := ParseReceiptCode(swap); err == nil && !luhnBlindSwap(c[pos], c[pos+1]) {
					t.Fatalf("swap %s → %s accepted", c, swap)
				}
			}
		}
	}
}

// Luhn mod N cannot see a swap of the two characters whose doubled values
// wrap to each other (for N=32 these are 0/V, i.e. values 0 and 31).
func luhnBlindSwap(a, b byte) bool {
	va, vb := strings.IndexByte(receiptAlphabet, a), strings.IndexByte(receiptAlphabet, b)
	return (va == 0 && vb == 31) || (va == 31 && vb == 0)
}

func TestParseReceiptCodeErrors(t *testing.T) {
	c := string(NewReceiptCode())
	for _, bad := range []string{"", "ABCD", c + "0", "ABCD-EFGH-!", "ABCD-EFGH-中"} {
		if _, err := ParseReceiptCode(bad); ErrorCodeOf(err) != EINVALID || ErrorMessageOf(err) == "" {
			t.Errorf("ParseReceiptCode(%q) err = %v", bad, err)
		}
	}
	// Confusable letters read as digits.
	body := "0011ABCD"
	code := body + string(luhn32(body))
	if got, err := ParseReceiptCode("OoIL-ABCD-" + code[8:]); err != nil || got != formatReceipt(code) {
		t.Errorf("confusables: %q %v", got, err)
	}
}

func TestRoles(t *testing.T) {
	if !RoleAdmin.Allows(RoleSupervisor) || !RoleSupervisor.Allows(RoleOperator) || RoleOperator.Allows(RoleSupervisor) {
		t.Error("role order wrong")
	}
	if Role("root").Allows(RoleOperator) || RoleAdmin.Allows(Role("x")) {
		t.Error("unknown roles must allow nothing")
	}
	if _, err := ParseRole("boss"); err == nil {
		t.Error("ParseRole accepted boss")
	}
	if _, err := ParseSyncState("done"); err == nil {
		t.Error("ParseSyncState accepted done")
	}
}
