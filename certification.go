package certkiosk

import (
	"encoding/json"
	"time"
)

// SyncState is where a record stands with the central service.
type SyncState string

// Sync states, in order.
const (
	SyncPending SyncState = "pending" // only on this kiosk
	SyncSent    SyncState = "sent"    // sent, not yet acknowledged
	SyncAcked   SyncState = "acked"   // the central service has it
)

// ParseSyncState validates a sync state name.
func ParseSyncState(s string) (SyncState, error) {
	switch st := SyncState(s); st {
	case SyncPending, SyncSent, SyncAcked:
		return st, nil
	}
	return "", Errorf(EINVALID, "同步状态无效（pending / sent / acked）", "unknown sync state %q", s)
}

// MaxAttempts is how many failed liveness attempts a retiree gets in one
// visit before the flow offers manual review instead of another try.
const MaxAttempts = 3

// Certification is one certification attempt.
type Certification struct {
	ID        string // time-ordered UUID (v7), made by the kiosk
	RetireeID ResidentID
	StaffID   string
	Terminal  string
	Method    Method
	Challenge string // the digits to read, "" for blink
	Verdict   Verdict
	Reason    string          // machine code; "" on pass
	Metrics   json.RawMessage // liveness figures, JSON object
	Started   time.Time
	Ended     time.Time
	Attempt   int // 1, 2, 3 within one visit
	Receipt   ReceiptCode
	Sync      SyncState
	Synthetic bool // load-generator or demo data
	// FrameSource is where the frames judged came from, set where the
	// record is made. The central stores non-synthetic records only from a
	// camera.
	FrameSource FrameSource
	// PhotoMatch is staff's answer to 「本人与照片一致」 when a reference
	// photo was shown beside the live face; nil when none was.
	PhotoMatch *bool
	// SpeechCheck is which read-digits check judged: lips alone (no
	// microphone) or lips and voice; "" for blink, a manual review, and
	// records from before it was kept.
	SpeechCheck SpeechCheck
	// Resume, BackpayMonths and BackpayMonth are set on a pass that ended
	// a suspension: the month payment resumes, how many withheld months
	// are paid back, and the month the back pay arrives.
	Resume        Month
	BackpayMonths int
	BackpayMonth  Month
}

// SpeechCheck says which read-digits check ran (issue 15).
type SpeechCheck string

// Speech checks.
const (
	SpeechLips      SpeechCheck = "lips"       // the lips only: no microphone
	SpeechLipsVoice SpeechCheck = "lips_voice" // lips, voice and their synchrony
)

// ParseSpeechCheck validates a speech check for a record of method m: a
// digits record names its check (or "" for an older one), others none.
func ParseSpeechCheck(s string, m Method) (SpeechCheck, error) {
	switch sc := SpeechCheck(s); {
	case sc == "":
		return sc, nil
	case m == MethodDigits && (sc == SpeechLips || sc == SpeechLipsVoice):
		return sc, nil
	}
	return "", Errorf(EINVALID, "认证记录的读数检查方式无效", "speech check %q is not valid for method %s", s, m)
}

// FrameSource says where a certification's frames came from.
type FrameSource string

// Frame sources.
const (
	FrameCamera FrameSource = "camera" // a webcam: the only source for real certifications
	FrameFile   FrameSource = "file"   // a video file (tests, load tests)
	FrameDemo   FrameSource = "demo"   // the demo clip (demo mode)
	FrameNone   FrameSource = "none"   // no frames: a manual review by staff
)

// ParseFrameSource validates a frame source for a record with verdict v:
// "none" only goes with a manual review.
func ParseFrameSource(s string, v Verdict) (FrameSource, error) {
	switch fs := FrameSource(s); fs {
	case FrameCamera, FrameFile, FrameDemo:
		return fs, nil
	case FrameNone:
		if v == VerdictManualReview {
			return fs, nil
		}
	}
	return "", Errorf(EINVALID, "认证记录缺少画面来源", "frame source %q is not valid for a %s", s, v)
}
