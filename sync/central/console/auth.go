package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"
	"unicode/utf8"

	"certkiosk"

	"golang.org/x/crypto/argon2"
)

// KDF is an argon2id cost. Console PINs are hashed as the kiosk hashes
// staff PINs (store.DefaultKDF, PHC format), so a leaked database gives
// an attacker the same slow work per guess.
type KDF struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// DefaultKDF is RFC 9106's second recommended option with 2 lanes.
var DefaultKDF = KDF{Time: 3, Memory: 64 * 1024, Threads: 2}

// Sign-in policy.
const (
	MaxFailedLogins    = 5
	LockoutDuration    = 15 * time.Minute
	MinPINLength       = 6
	DefaultIdleTimeout = 15 * time.Minute
	MaxSessionAge      = 10 * time.Hour // one working day
)

// HashPIN hashes a PIN for storage.
func HashPIN(pin string, p KDF) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash PIN: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64(salt), b64(key)), nil
}

// CheckPIN compares pin with a PHC-format argon2id hash in constant time.
func CheckPIN(pin, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("unknown PIN hash format")
	}
	var v int
	var p KDF
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, errors.New("unknown argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("bad PIN hash parameters: %w", err)
	}
	if p.Memory > 1<<20 || p.Time > 16 || p.Threads == 0 { // a tampered row must not exhaust the server
		return false, errors.New("PIN hash parameters out of range")
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 {
		return false, errors.New("bad PIN hash encoding")
	}
	got := argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// ValidPIN checks a new PIN: at least 6 characters, not one repeated.
func ValidPIN(pin string) error {
	if utf8.RuneCountInString(pin) < MinPINLength {
		return certkiosk.Errorf(certkiosk.EINVALID, fmt.Sprintf("密码至少%d位", MinPINLength), "PIN shorter than %d", MinPINLength)
	}
	if len(pin) > 128 {
		return certkiosk.Errorf(certkiosk.EINVALID, "密码太长", "PIN longer than 128 bytes")
	}
	if strings.Count(pin, pin[:1]) == len(pin) {
		return certkiosk.Errorf(certkiosk.EINVALID, "密码不能全是同一个字符", "PIN is one repeated character")
	}
	return nil
}

// ValidUserID allows letters, digits, '-' and '_', 1 to 32 of them.
func ValidUserID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// randomToken is 32 random bytes, hex.
func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("console: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b[:])
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// session is a signed-in console user. Sessions live in memory: a restart
// of centrald signs everyone out, which is the safe direction.
type session struct {
	user     User
	csrf     string
	created  time.Time
	lastSeen time.Time
}

// sessions maps the SHA-256 of a session token to its session, so a dump
// of memory or a log line with a key does not give a usable cookie.
type sessions struct {
	mu gosync.Mutex
	m  map[string]*session
}

func (ss *sessions) add(u User, now time.Time) (token string, s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]*session{}
	}
	token = randomToken()
	s = &session{user: u, csrf: randomToken(), created: now, lastSeen: now}
	ss.m[tokenKey(token)] = s
	return token, s
}

// get returns the live session of token and marks it used; an idle or too
// old session is ended.
func (ss *sessions) get(token string, now time.Time, idle time.Duration) (*session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := tokenKey(token)
	s, ok := ss.m[k]
	if !ok {
		return nil, false
	}
	if now.Sub(s.lastSeen) > idle || now.Sub(s.created) > MaxSessionAge {
		delete(ss.m, k)
		return nil, false
	}
	s.lastSeen = now
	cp := *s
	return &cp, true
}

func (ss *sessions) remove(token string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, tokenKey(token))
}

// sweep forgets expired sessions.
func (ss *sessions) sweep(now time.Time, idle time.Duration) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, s := range ss.m {
		if now.Sub(s.lastSeen) > idle || now.Sub(s.created) > MaxSessionAge {
			delete(ss.m, k)
		}
	}
}
