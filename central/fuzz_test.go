package central

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"certkiosk/internal/fuzzseed"
)

func clientAddrSeeds() [][]any {
	return [][]any{
		{"127.0.0.1:5555", "203.0.113.7, 10.9.1.1"}, {"127.0.0.1:5555", ""}, {"192.0.2.1:1", "1.2.3.4"},
		{"127.0.0.1:1", "garbage,,, 10.9.0.3"}, {"[::1]:80", "::ffff:1.2.3.4"}, {"nonsense", "1.1.1.1"},
	}
}

// FuzzClientAddr: X-Forwarded-For is believed only through a trusted peer,
// and the address given is always the peer or one the header names.
func FuzzClientAddr(f *testing.F) {
	for _, s := range clientAddrSeeds() {
		f.Add(s[0].(string), s[1].(string))
	}
	trusted, _ := ParseTrustedProxies("127.0.0.1, 10.9.0.0/16, ::1")
	c := ClientAddrs{Trusted: trusted}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		got := c.Addr(r)
		none := ClientAddrs{}.Addr(r)
		if got == none {
			return // the peer
		}
		peer, err := netip.ParseAddr(none)
		if err != nil || !c.trusted(peer) {
			t.Fatalf("peer %q is not trusted, yet X-Forwarded-For %q gave %q", remote, xff, got)
		}
		a, err := netip.ParseAddr(got)
		if err != nil || c.trusted(a) {
			t.Fatalf("forwarded address %q from %q", got, xff)
		}
		if !strings.Contains(xff, strings.TrimPrefix(got, "::ffff:")) && !strings.Contains(xff, got) {
			found := false
			for _, h := range strings.Split(xff, ",") {
				if b, err := netip.ParseAddr(strings.TrimSpace(h)); err == nil && b.Unmap().String() == got {
					found = true
				}
			}
			if !found {
				t.Fatalf("%q is in no hop of %q", got, xff)
			}
		}
	})
}

func maskSeeds() [][]any {
	return [][]any{{"openat 110105195001010039.jpg: denied"}, {"11010519491231002X"}, {"110105500101003"}, {"1234567890123456789"}, {""}}
}

// FuzzMaskIDs: no 18-character identity number survives masking.
func FuzzMaskIDs(f *testing.F) {
	for _, s := range maskSeeds() {
		f.Add(s[0].(string))
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m := MaskIDs(s); idLike.MatchString(m) {
			t.Fatalf("%q masked to %q", s, m)
		}
	})
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzClientAddr", clientAddrSeeds()...)
	fuzzseed.Write(t, "FuzzMaskIDs", maskSeeds()...)
}
