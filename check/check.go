// Package check is the certification check as a service, not a screen:
// what a running liveness check tells a screen (Update), how it ends
// (Result), the commands a screen may send (Station), and saving the
// attempt as a record. The capture loop and the detector that drive it
// live in check/live (cgo, OpenCV); this package is pure Go, so the UI
// depends on it without linking OpenCV.
package check

import (
	"encoding/json"
	"image"
	"time"

	"certkiosk"
	"certkiosk/liveness"
)

// Update is what a running check tells the screen, at most once a frame.
type Update struct {
	Prompt    string        // what to show large, a code (liveness.Update.Prompt) the screen words; "" keeps the last one
	Issue     string        // why the frame cannot be judged ("" when good): a screen words it from this code
	Challenge bool          // the prompt is the challenge itself (blink, or read the digits)
	Voice     []string      // voice prompt keys to say now
	Remaining time.Duration // countdown of the challenge; 0 hides it
	Box       image.Rectangle
	Done      bool // the check is over: Result holds the outcome
	Result    Result
	Err       error // the check could not run (camera lost)
}

// Final reports whether u ends the check.
func (u Update) Final() bool { return u.Done || u.Err != nil }

// Result is a finished liveness check.
type Result struct {
	Verdict certkiosk.Verdict // pass or fail
	Reason  string            // machine code, "" on pass
	Metrics json.RawMessage
	Best    []byte // best frame, JPEG, in memory only
	Started time.Time
	Ended   time.Time
	// SpeechCheck is which read-digits check ran: liveness.CheckLips
	// (no microphone) or liveness.CheckLipsVoice; "" in blink mode.
	SpeechCheck string
}

// Station runs liveness checks on the kiosk's camera. Start returns the
// digit code to read (digits mode) and a channel of updates that ends with
// a final update (Done or Err) and is then closed; cancel stops the check
// early (the channel is closed without a final update).
type Station interface {
	Start(method certkiosk.Method) (code string, updates <-chan Update, cancel func(), err error)
}

// Settings are the supervisor's choices a check reads at each start.
type Settings struct {
	Blinks    func() int
	TimeLimit func() time.Duration
}

// IssueVoice maps quality issues to voice prompt keys (assets/voice).
var IssueVoice = map[string]string{
	liveness.IssueNoFace.Code:        "no_face",
	liveness.IssueMultipleFaces.Code: "one_person",
	liveness.IssueTooSmall.Code:      "closer",
	liveness.IssueTooLarge.Code:      "farther",
	liveness.IssueOffCentre.Code:     "center",
	liveness.IssueTooDark.Code:       "too_dark",
	liveness.IssueTooBright.Code:     "too_bright",
	liveness.IssueBlurred.Code:       "blurred",
	liveness.IssueTurnedAway.Code:    "face_screen",
	liveness.IssueTurnLeft.Code:      "turn_left",
	liveness.IssueTurnRight.Code:     "turn_right",
	liveness.IssueLookUp.Code:        "look_up",
	liveness.IssueLookDown.Code:      "look_down",
}

// ReasonVoice is the voice prompt that explains a failed read-digits
// check heard through the microphone (issue 15), said after 「认证没有通过」;
// nil for other reasons.
func ReasonVoice(reason string) []string {
	switch reason {
	case liveness.ReasonNoVoice, liveness.ReasonVoiceWithoutLips, liveness.ReasonOutOfSync,
		liveness.ReasonTooNoisy, liveness.ReasonDigitCount:
		return []string{reason} // assets/voice/<reason>.wav
	}
	return nil
}

// DigitKeys spells a digit string as voice keys: "4821" → d4 d8 d2 d1.
func DigitKeys(digits string) []string {
	keys := make([]string, 0, len(digits))
	for _, r := range digits {
		if r >= '0' && r <= '9' {
			keys = append(keys, "d"+string(r))
		}
	}
	return keys
}
