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
	"time"

	"filippo.io/age"
)

// Keys are the central's own keys, made on first start and kept in its data
// directory (0600): the age identity that opens evidence and the Ed25519
// key that signs what terminals should trust.
type Keys struct {
	identity *age.X25519Identity
	signing  ed25519.PrivateKey
	// retired are evidence identities replaced by RotateKey: evidence and
	// bundles terminals encrypted before they re-enrolled still need them.
	retired []*age.X25519Identity
}

// retiredDir keeps replaced keys (0700), named KIND.UNIXNANO.

const (
	identityFile = "evidence.age-identity"
	signingFile  = "signing.ed25519"
	retiredDir   = "retired"
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
	old, _ := filepath.Glob(filepath.Join(dir, retiredDir, identityFile+".*"))
	for _, p := range old {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		id, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("keys: %s: %w", p, err)
		}
		k.retired = append(k.retired, id)
	}
	return k, nil
}

// Key kinds RotateKey replaces.
const (
	KeyEvidence = "evidence" // the age identity terminals encrypt evidence and bundles to
	KeySigning  = "signing"  // the Ed25519 key that signs bundle receipts
	KeyTLS      = "tls"      // the TLS certificate and key terminals pin
)

// RotateKey moves the current key of a kind into DIR/retired (0700; files
// keep their 0600) and makes a new one at the next LoadOrCreateKeys or
// LoadOrCreateCert. Retired evidence identities keep opening what was
// encrypted to them; terminals learn the new keys by enrolling again.
func RotateKey(dir, kind string) error {
	var files []string
	switch kind {
	case KeyEvidence:
		files = []string{identityFile}
	case KeySigning:
		files = []string{signingFile}
	case KeyTLS:
		files = []string{certFile, keyFile}
	default:
		return fmt.Errorf("rotate: unknown key kind %q (evidence, signing or tls)", kind)
	}
	rd := filepath.Join(dir, retiredDir)
	if err := os.MkdirAll(rd, 0o700); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	stamp := fmt.Sprint(time.Now().UnixNano())
	for _, f := range files {
		if err := os.Rename(filepath.Join(dir, f), filepath.Join(rd, f+"."+stamp)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate %s: %w", kind, err)
		}
	}
	return nil
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

// Identity is the age identity that opens evidence (identity export),
// with the retired ones after it, one per line, as age reads them.
func (k *Keys) Identity() string {
	lines := []string{k.identity.String()}
	for _, r := range k.retired {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

// Identities are the current and retired evidence identities.
func (k *Keys) Identities() []age.Identity {
	ids := []age.Identity{k.identity}
	for _, r := range k.retired {
		ids = append(ids, r)
	}
	return ids
}

// SigningPublic is the public half of the central's signing key.
func (k *Keys) SigningPublic() ed25519.PublicKey { return k.signing.Public().(ed25519.PublicKey) }

// Sign signs a message with the central's key.
func (k *Keys) Sign(msg []byte) []byte { return ed25519.Sign(k.signing, msg) }
