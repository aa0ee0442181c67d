package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/store"
)

// Attempt is one try of one retiree at the counter.
type Attempt struct {
	Retiree     certkiosk.ResidentID
	Staff       string
	Method      certkiosk.Method
	Code        string // the digits to read, digits mode
	Number      int    // 1..certkiosk.MaxAttempts
	FrameSource certkiosk.FrameSource
	// PhotoMatch is staff's answer to 「本人与照片一致」 when a reference
	// photo was shown beside the live face; nil when none was.
	PhotoMatch *bool
}

// Save stores a finished attempt — pass or fail — with its best frame as
// encrypted evidence, and returns the record (receipt code, terminal).
func Save(ctx context.Context, db *store.DB, actor string, a Attempt, r Result) (*certkiosk.Certification, error) {
	c := &certkiosk.Certification{RetireeID: a.Retiree, StaffID: a.Staff, Method: a.Method, Challenge: a.Code,
		Verdict: r.Verdict, Reason: r.Reason, Metrics: r.Metrics, Started: r.Started, Ended: r.Ended,
		Attempt: a.Number, FrameSource: a.FrameSource, PhotoMatch: a.PhotoMatch,
		SpeechCheck: certkiosk.SpeechCheck(r.SpeechCheck)}
	var ev []store.Evidence
	if len(r.Best) > 0 {
		ev = append(ev, store.Evidence{Kind: store.EvidenceBestFrame, Data: r.Best})
	}
	if err := db.SaveCertification(ctx, actor, c, ev); err != nil {
		return nil, fmt.Errorf("save attempt %d of %s: %w", a.Number, a.Retiree.Masked(), err)
	}
	return c, nil
}

// SaveReview records that staff sent the retiree to manual review after
// attempts tries, with their reason (required: the reviewer reads it).
func SaveReview(ctx context.Context, db *store.DB, actor string, a Attempt, reason string, at time.Time) (*certkiosk.Certification, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, certkiosk.Errorf(certkiosk.EINVALID, "请填写转人工的原因", "manual review without a reason")
	}
	metrics, err := json.Marshal(map[string]any{"staff_reason": reason, "attempts": a.Number})
	if err != nil {
		return nil, fmt.Errorf("manual review metrics: %w", err)
	}
	if a.Method == "" {
		a.Method = certkiosk.MethodBlink
	}
	c := &certkiosk.Certification{RetireeID: a.Retiree, StaffID: a.Staff, Method: a.Method,
		Verdict: certkiosk.VerdictManualReview, Reason: "staff_review", Metrics: metrics, Started: at, Ended: at,
		Attempt: max(a.Number, 1), FrameSource: certkiosk.FrameNone}
	if err := db.SaveCertification(ctx, actor, c, nil); err != nil {
		return nil, fmt.Errorf("save manual review of %s: %w", a.Retiree.Masked(), err)
	}
	return c, nil
}
