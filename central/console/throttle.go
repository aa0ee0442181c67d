package console

import (
	"net"
	"net/http"
	gosync "sync"
	"time"
)

// Sign-in throttling. Wrong PINs are counted per client address and per
// (account, address): an address gets SignInBurst attempts, then one every
// SignInRefill; an account that had MaxFailedLogins wrong PINs from one
// address is locked for LockoutDuration for that address only. Nobody can
// lock an account's owner out from elsewhere, and unknown accounts are
// counted and locked exactly like real ones, so the answers never tell
// which accounts exist.
const (
	SignInBurst  = 10
	SignInRefill = 30 * time.Second
	// SignInAlarm wrong PINs for one account within LockoutDuration, from
	// any addresses, raise an alarm in the log.
	SignInAlarm = 20
	maxTracked  = 100000 // beyond this, stale entries are forgotten
)

type signInThrottle struct {
	mu     gosync.Mutex
	now    func() time.Time
	addrs  map[string]*addrTokens
	fails  map[[2]string]*failCount // (account, address)
	totals map[string]*failCount    // account, all addresses
}

type addrTokens struct {
	tokens float64
	at     time.Time
}

type failCount struct {
	n           int
	since, lock time.Time
}

func newSignInThrottle(now func() time.Time) *signInThrottle {
	return &signInThrottle{now: now, addrs: map[string]*addrTokens{},
		fails: map[[2]string]*failCount{}, totals: map[string]*failCount{}}
}

// take spends one attempt of addr, false when it has none left.
func (t *signInThrottle) take(addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	b := t.addrs[addr]
	if b == nil {
		if len(t.addrs) >= maxTracked {
			for k, v := range t.addrs {
				if now.Sub(v.at) > SignInBurst*SignInRefill {
					delete(t.addrs, k)
				}
			}
		}
		b = &addrTokens{tokens: SignInBurst, at: now}
		t.addrs[addr] = b
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(SignInBurst, b.tokens+d.Seconds()/SignInRefill.Seconds())
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refund gives back the attempt a successful sign-in took.
func (t *signInThrottle) refund(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b := t.addrs[addr]; b != nil {
		b.tokens = min(SignInBurst, b.tokens+1)
	}
}

// locked reports whether account is locked for addr, and until when.
func (t *signInThrottle) locked(account, addr string) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fails[[2]string{account, addr}]
	if f == nil || !t.now().Before(f.lock) {
		return false, time.Time{}
	}
	return true, f.lock
}

// failed counts a wrong PIN for account from addr. It reports whether this
// one locked the account for addr, and whether the account's wrong PINs
// from everywhere just reached SignInAlarm.
func (t *signInThrottle) failed(account, addr string) (locked, alarm bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fails) >= maxTracked {
		for k, v := range t.fails {
			if now.Sub(v.since) > LockoutDuration && !now.Before(v.lock) {
				delete(t.fails, k)
			}
		}
		for k, v := range t.totals {
			if now.Sub(v.since) > LockoutDuration {
				delete(t.totals, k)
			}
		}
	}
	count := func(f *failCount) *failCount {
		if f == nil || now.Sub(f.since) > LockoutDuration && !now.Before(f.lock) {
			f = &failCount{since: now}
		}
		f.n++
		return f
	}
	k := [2]string{account, addr}
	f := count(t.fails[k])
	t.fails[k] = f
	if f.n >= MaxFailedLogins && !now.Before(f.lock) {
		f.lock, locked = now.Add(LockoutDuration), true
		f.n, f.since = 0, now
	}
	tot := count(t.totals[account])
	t.totals[account] = tot
	return locked, tot.n == SignInAlarm
}

// succeeded forgets account's wrong PINs from addr.
func (t *signInThrottle) succeeded(account, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, [2]string{account, addr})
}

// remoteAddr is the TCP peer's IP address.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
