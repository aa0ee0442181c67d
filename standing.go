package certkiosk

// PensionOn tells where r's pension stands on today. A suspension the
// central sent with the roster is authoritative (its own records, such as a
// rejected review, may know more than this terminal) until a pass here moves
// LastCert past it; every other standing is computed from LastCert, because
// time overtakes a status downloaded days ago while the rules do not change.
func (r Retiree) PensionOn(today Date) Pension {
	if r.Pension == PensionSuspended && !r.SuspendedSince.IsZero() &&
		(r.LastCert.IsZero() || MonthOf(r.LastCert).Before(r.SuspendedSince)) {
		p := Pension{Status: PensionSuspended, SuspendedSince: r.SuspendedSince}
		if !r.LastCert.IsZero() {
			p.Due = DueDate(r.LastCert)
		}
		return p
	}
	return PensionOn(r.LastCert, today)
}

// ResumptionOn tells what a pass on day means for r: Resumption on r's last
// certification, or, when the central said r is suspended since a month,
// resumption the month after day with the months from that one paid back.
func (r Retiree) ResumptionOn(day Date, cutoffDay int) (resume Month, backpayMonths int, backpayMonth Month, ok bool) {
	p := r.PensionOn(day)
	if p.Status != PensionSuspended || r.Pension != PensionSuspended || p.SuspendedSince != r.SuspendedSince {
		return Resumption(r.LastCert, day, cutoffDay)
	}
	return resumeFrom(p.SuspendedSince, day, cutoffDay)
}
