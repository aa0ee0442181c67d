package sync

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"math/big"
)

func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// DecodePublicKey parses a base64 Ed25519 public key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize || SmallOrderKey(b) {
		return nil, fmt.Errorf("not a base64 Ed25519 public key")
	}
	return b, nil
}

// DecodeSeed parses a base64 Ed25519 seed into a private key.
func DecodeSeed(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("not a base64 Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// EncodeSeed is the inverse of DecodeSeed.
func EncodeSeed(k ed25519.PrivateKey) string { return encodeKey(k.Seed()) }

// fieldP is 2^255 - 19, the field of Curve25519 and Ed25519.
var fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// probe is a fixed X25519 private key; its clamped scalar is a multiple
// of 8, so its product with a point of small order is the all-zero value,
// which crypto/ecdh reports as an error.
var probe, _ = ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x5a}, 32))

// SmallOrderKey reports whether pub is not a usable Ed25519 public key: the
// wrong length, or a point of small order (the identity, or one of order 2,
// 4 or 8). For such a key one signature verifies for many messages, so
// anyone could sign as its holder; enrollment refuses them and no
// signature is checked against one. The point's y is mapped to Curve25519
// (u = (1+y)/(1-y)) and multiplied there by crypto/ecdh.
func SmallOrderKey(pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize {
		return true
	}
	be := make([]byte, 32)
	for i, c := range pub {
		be[31-i] = c
	}
	be[0] &= 0x7f // the sign of x does not change the order
	y := new(big.Int).Mod(new(big.Int).SetBytes(be), fieldP)
	den := new(big.Int).Sub(big.NewInt(1), y)
	den.Mod(den, fieldP)
	if den.Sign() == 0 { // y = 1: the identity
		return true
	}
	u := new(big.Int).Add(big.NewInt(1), y)
	u.Mul(u, new(big.Int).ModInverse(den, fieldP))
	u.Mod(u, fieldP)
	ub := make([]byte, 32)
	u.FillBytes(ub)
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		ub[i], ub[j] = ub[j], ub[i]
	}
	pk, err := ecdh.X25519().NewPublicKey(ub)
	if err != nil {
		return true
	}
	_, err = probe.ECDH(pk)
	return err != nil
}
