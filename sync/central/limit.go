package central

import (
	"net"
	"net/http"
	gosync "sync"
	"time"
)

// RateLimit is a per-address token bucket for what unauthenticated callers
// can make the central do: healthz, metrics, enrollment, receipt lookups,
// and every request that fails authentication. Signed requests that
// authenticate never spend tokens.
type RateLimit struct {
	Burst     int     // tokens a quiet address starts with; default 30
	PerSecond float64 // refill rate; default 1
}

type bucket struct {
	tokens float64
	at     time.Time
}

type limiter struct {
	RateLimit
	mu      gosync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

const maxBuckets = 100000 // beyond this, full buckets are forgotten

func newLimiter(rl RateLimit, now func() time.Time) *limiter {
	if rl.Burst <= 0 {
		rl.Burst = 30
	}
	if rl.PerSecond <= 0 {
		rl.PerSecond = 1
	}
	return &limiter{RateLimit: rl, buckets: map[string]*bucket{}, now: now}
}

// level refills and returns addr's bucket; l.mu is held.
func (l *limiter) level(addr string) *bucket {
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			for k, v := range l.buckets {
				if v.tokens+now.Sub(v.at).Seconds()*l.PerSecond >= float64(l.Burst) {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[addr] = b
	}
	b.tokens = min(float64(l.Burst), b.tokens+now.Sub(b.at).Seconds()*l.PerSecond)
	b.at = now
	return b
}

// take spends a token of addr, reporting false when none is left.
func (l *limiter) take(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(addr)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// empty reports whether addr has no token left (without spending one).
func (l *limiter) empty(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.level(addr).tokens < 1
}

// clientAddr is the caller's IP address. X-Forwarded-For is ignored: the
// central is meant to face terminals directly.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
