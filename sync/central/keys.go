package central

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// Keys are the central's own keys, made on first start and kept in its data
// directory (0600): the age identity that opens evidence and the Ed25519
// key that signs what terminals should trust.
type Keys struct {
	identity *age.X25519Identity
	signing  ed25519.PrivateKey
}

const (
	identityFile = "evidence.age-identity"
	signingFile  = "signing.ed25519"
)

// LoadOrCreateKeys reads the keys from dir, creating them the first time.
func LoadOrCreateKeys(dir string) (*Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k := &Keys{}
	idPath, sigPath := filepath.Join(dir, identityFile), filepath.Join(dir, signingFile)
	if b, err := os.ReadFile(idPath); err == nil {
		if k.identity, err = age.ParseX25519Identity(strings.TrimSpace(string(b))); err != nil {
			return nil, fmt.Errorf("keys: %s: %w", idPath, err)
		}
	} else if errors.Is(err, os.ErrNotExist) {
		if k.identity, err = age.GenerateX25519Identity(); err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		if err := writeSecret(idPath, k.identity.String()+"\n"); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if b, err := os.ReadFile(sigPath); err == nil {
		seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("keys: %s is not an Ed25519 seed", sigPath)
		}
		k.signing = ed25519.NewKeyFromSeed(seed)
	} else if errors.Is(err, os.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		k.signing = priv
		if err := writeSecret(sigPath, base64.StdEncoding.EncodeToString(priv.Seed())+"\n"); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return k, nil
}

func writeSecret(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("keys: %w", err)
	}
	return f.Close()
}

// Recipient is the age recipient terminals encrypt evidence to.
func (k *Keys) Recipient() string { return k.identity.Recipient().String() }

// Identity is the age identity that opens evidence (identity export).
func (k *Keys) Identity() string { return k.identity.String() }

// SigningPublic is the public half of the central's signing key.
func (k *Keys) SigningPublic() ed25519.PublicKey { return k.signing.Public().(ed25519.PublicKey) }

// Sign signs a message with the central's key.
func (k *Keys) Sign(msg []byte) []byte { return ed25519.Sign(k.signing, msg) }
