package check

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"certkiosk"
)

// Attempt is one try of one retiree at the counter.
type Attempt struct {
	Retiree     certkiosk.ResidentID
	Staff       string
	Method      certkiosk.Method
	Code        string // the digits to read, digits mode
	Number      int    // 1..certkiosk.MaxAttempts
	FrameSource certkiosk.FrameSource
	// ReferenceShown says a reference photo stood beside the live face.
	ReferenceShown bool
	// PhotoMatch is staff's answer to 「本人与照片一致」: nil unless they
	// ticked it or answered the question (never a guess for them).
	PhotoMatch *bool
}

// ErrPhotoUnanswered refuses a pass with a reference photo shown but no
// answer from staff: the screen must ask first.
var ErrPhotoUnanswered = certkiosk.E(certkiosk.EINVALID, "error.check.photo_unanswered",
	"a pass with a reference photo shown needs staff's answer")

// Save stores a finished attempt — pass or fail — with its best frame as
// encrypted evidence, and returns the record (receipt code, terminal).
//
// The reference-photo rule is kept here, not in a screen: with a
// reference photo shown, a pass is final only with staff's answer
// (ErrPhotoUnanswered otherwise), and 「不一致」 turns it into a manual
// review with the reason photo_mismatch. Without a photo no answer is
// Records is where the check's attempts are kept: the kiosk's store, which
// encrypts the evidence before it writes anything.
type Records interface {
	SaveCertification(ctx context.Context, actor string, c *certkiosk.Certification, evidence []certkiosk.Evidence) error
}

// recorded.
func Save(ctx context.Context, db Records, actor string, a Attempt, r Result) (*certkiosk.Certification, error) {
	if !a.ReferenceShown {
		a.PhotoMatch = nil
	}
	if r.Verdict == certkiosk.VerdictPass && a.ReferenceShown {
		if a.PhotoMatch == nil {
			return nil, ErrPhotoUnanswered
		}
		if !*a.PhotoMatch {
			r.Verdict, r.Reason = certkiosk.VerdictManualReview, ReasonPhotoMismatch
		}
	}
	c := &certkiosk.Certification{RetireeID: a.Retiree, StaffID: a.Staff, Method: a.Method, Challenge: a.Code,
		Verdict: r.Verdict, Reason: r.Reason, Metrics: r.Metrics, Started: r.Started, Ended: r.Ended,
		Attempt: a.Number, FrameSource: a.FrameSource, PhotoMatch: a.PhotoMatch,
		SpeechCheck: certkiosk.SpeechCheck(r.SpeechCheck)}
	var ev []certkiosk.Evidence
	if len(r.Best) > 0 {
		ev = append(ev, certkiosk.Evidence{Kind: certkiosk.EvidenceBestFrame, Data: r.Best})
	}
	if err := db.SaveCertification(ctx, actor, c, ev); err != nil {
		return nil, fmt.Errorf("save attempt %d of %s: %w", a.Number, a.Retiree.Masked(), err)
	}
	return c, nil
}

// ReasonPhotoMismatch is the manual-review reason of a pass whose face
// staff found different from the reference photo.
const ReasonPhotoMismatch = "photo_mismatch"

// SaveReview records that staff sent the retiree to manual review after
// attempts tries, with their reason (required: the reviewer reads it).
func SaveReview(ctx context.Context, db Records, actor string, a Attempt, reason string, at time.Time) (*certkiosk.Certification, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, certkiosk.E(certkiosk.EINVALID, "error.check.review_reason", "manual review without a reason")
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
