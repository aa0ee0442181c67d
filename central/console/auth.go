package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	gosync "sync"
	"time"

	"certkiosk/central"
	"certkiosk/internal/pinhash"
)

// KDF is an argon2id cost. Console PINs are hashed exactly as the
// kiosk hashes staff PINs (package pinhash), so a leaked database gives an
// attacker the same slow work per guess.
type KDF = pinhash.Params

// DefaultKDF is RFC 9106's second recommended option with 2 lanes.
var DefaultKDF = pinhash.Default

// Sign-in policy.
const (
	MaxFailedLogins    = 5
	LockoutDuration    = 15 * time.Minute
	MinPINLength       = pinhash.MinLength
	DefaultIdleTimeout = 15 * time.Minute
	MaxSessionAge      = 10 * time.Hour // one working day
)

// HashPIN hashes a PIN for storage.
func HashPIN(pin string, p KDF) (string, error) { return pinhash.Hash(pin, p) }

// CheckPIN compares pin with a stored hash in constant time; a hash out of
// bounds is an error, never a match.
func CheckPIN(pin, encoded string) (bool, error) { return pinhash.Check(pin, encoded) }

// ValidPIN checks a new PIN: at least 6 characters, not one repeated.
func ValidPIN(pin string) error { return pinhash.Valid(pin) }

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
	user     central.User
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

func (ss *sessions) add(u central.User, now time.Time) (token string, s *session) {
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
