package central

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
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

// ClientAddrs tells a request's client address. Behind a reverse proxy
// every request comes from the proxy: only when the TCP peer is one of
// Trusted is X-Forwarded-For read, from the right, skipping trusted hops,
// so a client cannot choose its own address by sending the header.
type ClientAddrs struct {
	Trusted []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of addresses or CIDR
// prefixes (--trusted-proxy).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (c ClientAddrs) trusted(a netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// Addr is r's client address: the TCP peer, or, when the peer is a
// trusted proxy, the nearest untrusted address X-Forwarded-For names.
func (c ClientAddrs) Addr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || len(c.Trusted) == 0 || !c.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a malformed hop: trust nothing further
		}
		if !c.trusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}
