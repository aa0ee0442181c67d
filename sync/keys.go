package sync

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// DecodePublicKey parses a base64 Ed25519 public key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
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
