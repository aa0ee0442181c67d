package certkiosk

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// ReceiptToken is what the receipt's QR code holds: the receipt code, the
// masked identity number, the day and the verdict, signed by the terminal.
// Anyone with the terminal's public key can check it offline; the central
// service can check it online by its receipt code.
type ReceiptToken struct {
	Receipt  ReceiptCode `json:"r"`
	Terminal string      `json:"t"`
	Retiree  string      `json:"i"` // masked
	Date     string      `json:"d"` // YYYY-MM-DD
	Verdict  Verdict     `json:"v"`
}

const tokenPrefix = "CK1."

var b64 = base64.RawURLEncoding

// Sign encodes the token as CK1.<payload>.<signature> (base64url), short
// enough for a small QR code.
func (t ReceiptToken) Sign(key ed25519.PrivateKey) string {
	payload, _ := json.Marshal(t)
	p := b64.EncodeToString(payload)
	return tokenPrefix + p + "." + b64.EncodeToString(ed25519.Sign(key, []byte(tokenPrefix+p)))
}

// ParseReceiptToken decodes a token without checking its signature, so a
// verifier can find the terminal whose key it needs.
func ParseReceiptToken(s string) (ReceiptToken, error) {
	var t ReceiptToken
	p, _, err := splitToken(s)
	if err != nil {
		return t, err
	}
	raw, err := b64.DecodeString(p)
	if err != nil || json.Unmarshal(raw, &t) != nil {
		return t, Errorf(EINVALID, "二维码内容无法识别", "receipt token payload is malformed")
	}
	return t, nil
}

// VerifyReceiptToken checks the signature with the terminal's public key
// and returns the token's content.
func VerifyReceiptToken(s string, pub ed25519.PublicKey) (ReceiptToken, error) {
	t, err := ParseReceiptToken(s)
	if err != nil {
		return t, err
	}
	p, sig, _ := splitToken(s)
	raw, err := b64.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, []byte(tokenPrefix+p), raw) {
		return t, Errorf(EINVALID, "回执签名不对：此回执不是本终端签发的，或已被改动", "receipt token signature does not verify")
	}
	if _, err := ParseReceiptCode(string(t.Receipt)); err != nil {
		return t, err
	}
	return t, nil
}

func splitToken(s string) (payload, sig string, err error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, tokenPrefix) {
		return "", "", Errorf(EINVALID, "不是认证回执的二维码", "receipt token must start with %s", tokenPrefix)
	}
	parts := strings.Split(strings.TrimPrefix(s, tokenPrefix), ".")
	if len(parts) != 2 {
		return "", "", Errorf(EINVALID, "二维码内容不完整", "receipt token has %d parts", len(parts)+1)
	}
	return parts[0], parts[1], nil
}

// String describes the token for people (the ID is already masked).
func (t ReceiptToken) String() string {
	return fmt.Sprintf("%s %s %s %s %s", t.Receipt, t.Date, t.Retiree, t.Verdict, t.Terminal)
}
