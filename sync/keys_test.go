package sync

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// Found by FuzzSignedHeaders: with the all-zero public key (a point of
// order 4) an all-zero-ish signature verified. Such keys are refused at
// enrollment and never used to check a signature.
func TestSmallOrderKeysAreRefused(t *testing.T) {
	weak := []string{
		strings.Repeat("00", 32),                                           // y = 0, order 4
		"01" + strings.Repeat("00", 31),                                    // y = 1, the identity
		"ec" + strings.Repeat("ff", 30) + "7f",                             // y = p-1, order 2
		"ed" + strings.Repeat("ff", 30) + "7f",                             // y = p (non-canonical 0)
		"ee" + strings.Repeat("ff", 30) + "7f",                             // y = p+1 (non-canonical 1)
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
		"0000000000000000000000000000000000000000000000000000000000000080", // y = 0, sign bit set
		"0100000000000000000000000000000000000000000000000000000000000080", // the identity, sign bit set
	}
	for _, h := range weak {
		b, _ := hex.DecodeString(h)
		if !SmallOrderKey(b) {
			t.Errorf("%s: not seen as a small-order key", h)
		}
		if _, err := DecodePublicKey(encodeKey(b)); err == nil {
			t.Errorf("%s: accepted as a public key", h)
		}
	}
	// The fuzzer's find, exactly: these headers' signature verifies under
	// the zero key with crypto/ed25519 alone.
	r, _ := http.NewRequest(http.MethodPost, "http://central"+PathBatches, nil)
	r.Header.Set(HeaderTerminal, "0")
	r.Header.Set(HeaderTimestamp, "00")
	r.Header.Set(HeaderNonce, "071109C0Cb1009229b0Ca79198110bAB")
	r.Header.Set(HeaderSignature, strings.Repeat("A", 86)+"==")
	s, err := ParseSignedHeaders(r)
	if err != nil {
		t.Fatal(err)
	}
	s.SetBody([]byte("x"))
	zero := make([]byte, 32)
	if !ed25519.Verify(zero, s.signing, s.Signature) {
		t.Fatal("the fuzzer's forged signature no longer verifies under crypto/ed25519: update this test")
	}
	if s.Verify(zero) {
		t.Fatal("SignedRequest.Verify accepted a signature under the zero key")
	}
	msg := []byte("anything")
	for i := 0; i < 200; i++ {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		if SmallOrderKey(pub) {
			t.Fatalf("a genuine key %x is seen as small-order", pub)
		}
		s := SignedRequest{Signature: ed25519.Sign(priv, msg), signing: msg}
		if !s.Verify(pub) {
			t.Fatal("a genuine signature does not verify")
		}
	}
	if !SmallOrderKey(make([]byte, 31)) {
		t.Fatal("a short key is not refused")
	}
}
