package certkiosk

import "testing"

func TestRetireePensionOnPrefersTheCentralsSuspension(t *testing.T) {
	d := func(s string) Date {
		x, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	m := func(s string) Month {
		x, err := ParseMonth(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	// Computed: due 2026-11-28, so suspended from 2026-12.
	r := Retiree{LastCert: d("2025-11-28")}
	if p := r.PensionOn(d("2027-01-05")); p.Status != PensionSuspended || p.SuspendedSince != m("2026-12") {
		t.Fatalf("computed standing = %+v", p)
	}
	// The central says suspended since 2026-10 (it knows more): that wins.
	r.Pension, r.SuspendedSince = PensionSuspended, m("2026-10")
	if p := r.PensionOn(d("2026-11-02")); p.Status != PensionSuspended || p.SuspendedSince != m("2026-10") {
		t.Fatalf("central standing = %+v", p)
	}
	res, n, bp, ok := r.ResumptionOn(d("2026-11-20"), 15)
	if !ok || res != m("2026-12") || n != 2 || bp != m("2027-01") {
		t.Fatalf("ResumptionOn = %s %d %s %v, want 2026-12 2 2027-01", res, n, bp, ok)
	}
	// A pass here after the central's suspension began overtakes it.
	r.LastCert = d("2026-11-20")
	if p := r.PensionOn(d("2026-11-21")); p.Status != PensionInTime {
		t.Fatalf("after a pass: %+v", p)
	}
	// Without a word from the central, ResumptionOn is Resumption.
	r = Retiree{LastCert: d("2025-11-28")}
	res, n, bp, ok = r.ResumptionOn(d("2027-01-10"), 15)
	if !ok || res != m("2027-02") || n != 2 || bp != m("2027-02") {
		t.Fatalf("ResumptionOn = %s %d %s %v, want 2027-02 2 2027-02", res, n, bp, ok)
	}
}
