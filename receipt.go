package certkiosk

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// Receipt codes are what a retiree or a clerk reads out or types to find a
// certification: 8 random characters and a check character, in Crockford's
// base-32 alphabet (no I, L, O, U, so nothing reads as 1 or 0), grouped as
// XXXX-XXXX-C. The check character (Luhn mod 32) catches every single
// mistyped character and most swaps of neighbours.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ReceiptCode is a validated receipt code in canonical form (XXXX-XXXX-C).
type ReceiptCode string

// NewReceiptCode makes a random code (40 random bits).
func NewReceiptCode() ReceiptCode {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("receipt code: crypto/rand failed: %v", err))
	}
	body := make([]byte, 8)
	for i, x := range b {
		body[i] = receiptAlphabet[x&31]
	}
	return formatReceipt(string(body) + string(luhn32(string(body))))
}

// ParseReceiptCode accepts a code as people type it: any case, with or
// without dashes and spaces, O for 0 and I/L for 1. It checks the check
// character.
func ParseReceiptCode(s string) (ReceiptCode, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(receiptAlphabet, byte(r)) < 0 {
			return "", Errorf(EINVALID, "回执编号含有无效字符", "receipt code has an invalid character")
		}
		b.WriteRune(r)
	}
	c := b.String()
	if len(c) != 9 {
		return "", Errorf(EINVALID, "回执编号应为9位（如 AB12-CD34-5）", "receipt code has %d characters, want 9", len(c))
	}
	if luhn32(c[:8]) != c[8] {
		return "", Errorf(EINVALID, "回执编号校验位不对，请核对", "receipt code check character does not match")
	}
	return formatReceipt(c), nil
}

func formatReceipt(c string) ReceiptCode { return ReceiptCode(c[:4] + "-" + c[4:8] + "-" + c[8:]) }

// luhn32 is the Luhn mod N algorithm over receiptAlphabet.
func luhn32(s string) byte {
	const n = 32
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		v := strings.IndexByte(receiptAlphabet, s[i]) * factor
		sum += v/n + v%n
		if factor == 2 {
			factor = 1
		} else {
			factor = 2
		}
	}
	return receiptAlphabet[(n-sum%n)%n]
}
