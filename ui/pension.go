package ui

import (
	"certkiosk"

	"fyne.io/fyne/v2/lang"
)

// MonthText writes a month the way the interface's language does:
// 2026年12月, or 12/2026.
func MonthText(m certkiosk.Month) string {
	return lang.L("month.format", map[string]any{"Year": m.Year, "Month": int(m.Month)})
}

// PensionText is the card's 发放状态 in words — never colour alone:
// 正常, or 已于 2026年12月起暂停发放, and what an overdue retiree has left.
func PensionText(p certkiosk.Pension) string {
	switch p.Status {
	case certkiosk.PensionSuspended:
		return lang.L("pension.suspended", map[string]any{"Month": MonthText(p.SuspendedSince)})
	case certkiosk.PensionOverdue:
		return lang.L("pension.overdue", map[string]any{"Month": MonthText(p.SuspendsFrom())})
	case certkiosk.PensionInTime, certkiosk.PensionDueSoon:
		return lang.L("pension.normal")
	}
	return lang.L("pension.unknown")
}

// PassSentence tells a retiree who just passed what happens next: when a
// suspension ends, the month payment resumes and when the withheld months
// are paid back; otherwise the next due date.
func PassSentence(c *certkiosk.Certification, due certkiosk.Date) string {
	if !c.Resume.IsZero() {
		return lang.L("pension.resume", map[string]any{"Resume": MonthText(c.Resume), "N": c.BackpayMonths,
			"Backpay": MonthText(c.BackpayMonth)})
	}
	return lang.L("pension.next", map[string]any{"Due": due.String()})
}

// PassVoice is what the speaker says after "认证通过": the voice prompts are
// rendered ahead of time, so a sentence with this retiree's months is shown
// and printed, and spoken in words that hold for everyone it applies to.
func PassVoice(c *certkiosk.Certification) string {
	if !c.Resume.IsZero() {
		return "resume"
	}
	return "next_year"
}
