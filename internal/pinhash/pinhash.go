// Package pinhash hashes and checks the PINs of kiosk staff and of the
// central's console users with argon2id, in the PHC string format. One
// implementation for both, so a rule fixed here holds everywhere: a hash
// read back from a database is bounded before it is trusted.
package pinhash

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"certkiosk"

	"golang.org/x/crypto/argon2"
)

// Params is an argon2id cost.
type Params struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// Default follows RFC 9106's second recommended option (64 MiB, 3 passes),
// with 2 lanes for a 2-core machine: about a tenth of a second per check,
// far too slow for guessing a 6-digit PIN offline at scale.
var Default = Params{Time: 3, Memory: 64 * 1024, Threads: 2}

// Bounds on a stored hash: a tampered row must neither exhaust the machine
// nor pass with an empty key.
const (
	maxMemory = 1 << 20 // KiB: 1 GiB
	maxTime   = 16
	minKey    = 16
	minSalt   = 8
)

// MinLength is the shortest PIN accepted.
const MinLength = 6

// Valid checks a new PIN: at least MinLength characters, at most 128
// bytes, not one repeated character. Its message is for staff.
func Valid(pin string) error {
	if utf8.RuneCountInString(pin) < MinLength {
		return certkiosk.Errorf(certkiosk.EINVALID, fmt.Sprintf("密码至少%d位", MinLength), "PIN shorter than %d", MinLength)
	}
	if len(pin) > 128 {
		return certkiosk.Errorf(certkiosk.EINVALID, "密码太长", "PIN longer than 128 bytes")
	}
	if strings.Count(pin, pin[:1]) == len(pin) {
		return certkiosk.Errorf(certkiosk.EINVALID, "密码不能全是同一个字符", "PIN is one repeated character")
	}
	return nil
}

// Hash returns the PHC string of pin with a fresh 16-byte salt.
func Hash(pin string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash PIN: %w", err)
	}
	key := idKey([]byte(pin), salt, p, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64(salt), b64(key)), nil
}

// Check compares pin with a PHC-format argon2id hash in constant time. A
// hash it cannot read, or whose cost or sizes are out of bounds, is an
// error, never a match.
func Check(pin, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("unknown PIN hash format")
	}
	var v int
	var p Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("bad PIN hash parameters: %w", err)
	}
	if p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 || p.Memory < 8*uint32(p.Threads) {
		return false, errors.New("PIN hash parameters out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < minSalt || len(want) < minKey || len(want) > 64 {
		return false, errors.New("bad PIN hash encoding")
	}
	got := idKey([]byte(pin), salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// idKey is argon2id. Its work area (64 MiB by default) is garbage once it
// returns; a large one is handed back to the system at once, or a kiosk
// would keep it resident after every sign-in until the runtime's
// scavenger slowly returns it.
func idKey(pin, salt []byte, p Params, n uint32) []byte {
	key := argon2.IDKey(pin, salt, p.Time, p.Memory, p.Threads, n)
	if p.Memory >= 16*1024 { // tests use tiny costs: no forced collection
		debug.FreeOSMemory()
	}
	return key
}
