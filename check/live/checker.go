// Package live drives the certification check on camera frames: the
// kiosk's one capture loop (Feed) hands every frame to the running check
// (Checker), which judges it with liveness/face and reports check.Update
// values to whatever screen listens. It links OpenCV; the UI does not.
package live

import (
	"encoding/json"
	"fmt"
	"image"
	"log"
	"sync"
	"time"

	"certkiosk"
	"certkiosk/audio"
	"certkiosk/check"
	"certkiosk/liveness"
	"certkiosk/liveness/face"

	"gocv.io/x/gocv"
)

// Checker runs liveness checks on the frames of the kiosk's single
// capture loop (see Feed): the loop hands each frame to the active check
// in its own goroutine, so the window never waits for the detector and no
// frame is copied. It implements check.Station.
type Checker struct {
	Pipeline face.Options
	Settings check.Settings
	// Positioning is how long the retiree has to get into place (0: the
	// live default, 30 s).
	Positioning time.Duration
	// Now stamps records (time.Now when nil).
	Now func() time.Time
	// Microphone opens the sound input for a read-digits check
	// (audio.Open); nil, or an error, and the check judges the lips
	// only — the result says which check ran.
	Microphone func() (audio.Source, error)
	// newCode draws the digits (liveness.NewCode(4) when nil; tests).
	newCode func() (string, error)

	mu     sync.Mutex
	active *run
}

var _ check.Station = (*Checker)(nil)

// run is one check in progress.
type run struct {
	judge    *face.Judge
	updates  chan check.Update
	started  time.Time
	t0       time.Duration
	first    bool
	lastSaid string
	saidAt   time.Duration
	challAt  time.Duration
	limit    time.Duration
	method   certkiosk.Method
	code     string
	box      image.Rectangle
	good     bool
	closed   bool
	mic      *micFeed // nil: no microphone (blink mode, or none found)
}

// Start begins a check on the next frames.
func (c *Checker) Start(method certkiosk.Method) (string, <-chan check.Update, func(), error) {
	now := certkiosk.SystemClock
	if c.Now != nil {
		now = c.Now
	}
	cfg := liveness.Config{Mode: method, Blinks: c.blinks(), TimeLimit: c.timeLimit(), PositioningTimeout: c.Positioning}
	code := ""
	if method == certkiosk.MethodDigits {
		newCode := c.newCode
		if newCode == nil {
			newCode = func() (string, error) { return liveness.NewCode(4) }
		}
		var err error
		if code, err = newCode(); err != nil {
			return "", nil, nil, fmt.Errorf("start check: %w", err)
		}
		cfg.Code = code
	}
	var mic *micFeed
	if method == certkiosk.MethodDigits && c.Microphone != nil {
		src, err := c.Microphone()
		if err != nil {
			log.Printf("check: %v: reading digits judges the lips only", err)
		} else {
			mic = newMicFeed(src)
			cfg.Speech = mic.av
		}
	}
	cfg, err := liveness.Live(cfg)
	if err != nil {
		mic.stop()
		return "", nil, nil, fmt.Errorf("start check: %w", err)
	}
	if mic != nil {
		// The kiosk reads the prompt and the digits aloud first; the
		// person answers after it, so their time starts then.
		cfg.TimeLimit += voiceLength(challengeVoice(method, code))
	}
	j, err := face.NewJudge(c.Pipeline, cfg, true)
	if err != nil {
		mic.stop()
		return "", nil, nil, fmt.Errorf("start check: %w", err)
	}
	r := &run{judge: j, updates: make(chan check.Update, 8), started: now(), first: true,
		limit: cfg.TimeLimit, method: method, code: code, mic: mic}
	c.mu.Lock()
	if c.active != nil {
		c.active.close()
	}
	c.active = r
	c.mu.Unlock()
	r.send(check.Update{Voice: []string{"position"}})
	r.mic.kioskSpeaks(0, []string{"position"})
	cancel := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.active == r {
			r.close()
			c.active = nil
		}
	}
	return code, r.updates, cancel, nil
}

func (c *Checker) blinks() int {
	if c.Settings.Blinks == nil {
		return 0 // the session's default
	}
	return c.Settings.Blinks()
}

func (c *Checker) timeLimit() time.Duration {
	if c.Settings.TimeLimit == nil {
		return 0
	}
	return c.Settings.TimeLimit()
}

// Active reports whether a check is running (the capture loop shows the
// face guide only then).
func (c *Checker) Active() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active != nil
}

// Frame feeds the active check, in the capture goroutine. It returns the
// face box to draw, whether the frame was good enough to judge, and
// whether a check is running at all.
func (c *Checker) Frame(m gocv.Mat, t time.Duration) (image.Rectangle, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.active
	if r == nil {
		return image.Rectangle{}, false, false
	}
	if err := r.frame(m, t); err != nil {
		r.send(check.Update{Err: err})
		r.close()
		c.active = nil
		return image.Rectangle{}, false, true
	}
	if r.closed {
		c.active = nil
	}
	return r.box, r.good, true
}

// Fail ends the active check with a camera error (device lost).
func (c *Checker) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != nil {
		c.active.send(check.Update{Err: err})
		c.active.close()
		c.active = nil
	}
}

func (r *run) frame(m gocv.Mat, t time.Duration) error {
	if r.first {
		r.t0, r.first = t, false
		r.mic.origin(time.Now()) // the sound's clock is the frames'
	}
	t -= r.t0 // the session's clock starts with the check
	prev := r.judge.State()
	f, u, err := r.judge.Step(m, t)
	if err != nil {
		return fmt.Errorf("liveness check: %w", err)
	}
	r.box, r.good = f.Box, u.Issue.Code == ""
	out := check.Update{Prompt: u.Prompt, Box: f.Box}
	if u.Prompt != "" {
		out.Issue, out.Challenge = u.Issue.Code, u.Issue.Code == "" && u.State == liveness.StateChallenge
	}
	if u.State == liveness.StateChallenge {
		if prev != liveness.StateChallenge {
			r.challAt = t
			out.Voice = challengeVoice(r.method, r.code)
			r.mic.kioskSpeaks(t, out.Voice)
			r.lastSaid, r.saidAt = "challenge", t
		}
		if r.limit > 0 {
			out.Remaining = r.limit - (t - r.challAt)
		}
	} else if key, ok := check.IssueVoice[u.Issue.Code]; ok && (key != r.lastSaid || t-r.saidAt > 6*time.Second) && t-r.saidAt > 3*time.Second {
		out.Voice, r.lastSaid, r.saidAt = []string{key}, key, t
		r.mic.kioskSpeaks(t, out.Voice)
	}
	if !u.Done {
		r.send(out)
		return nil
	}
	res, best, _, err := r.judge.Finish()
	if err != nil {
		return fmt.Errorf("liveness check: %w", err)
	}
	fields := map[string]any{
		"reason": res.Reason, "blinks": len(res.Blinks), "mouth_cycles": res.MouthCycles, "frames": res.Frames,
		"face_frames": res.FaceFrames, "decided_at_frame": res.DecidedAtFrame, "decided_at_ms": res.DecidedAt.Milliseconds(),
		"prompt_at_ms": res.PromptAt.Milliseconds(), "baseline_ear": res.Baseline.EAR, "baseline_mar": res.Baseline.MAR}
	if res.SpeechCheck != "" {
		fields["speech_check"] = res.SpeechCheck
	}
	if av := res.AV; av != nil {
		fields["voiced_syllables"], fields["av_sync_lag_ms"], fields["av_correlation"], fields["noise_dbfs"] =
			av.VoicedSyllables, av.SyncLag.Milliseconds(), av.SyncCorr, av.NoiseDBFS
	}
	metrics, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("liveness metrics: %w", err)
	}
	r.send(check.Update{Done: true, Result: check.Result{Verdict: res.Verdict, Reason: res.Reason, Metrics: metrics,
		Best: best, Started: r.started, Ended: r.started.Add(t), SpeechCheck: res.SpeechCheck}})
	r.close()
	return nil
}

// send delivers an update; intermediate ones are dropped when the screen
// is behind (the next one supersedes them), the final one never is.
func (r *run) send(u check.Update) {
	if r.closed {
		return
	}
	if u.Final() {
		// The final update must arrive, but the capture loop must never
		// block on a screen that is behind: drop the oldest pending
		// (intermediate, superseded) update to make room.
		for {
			select {
			case r.updates <- u:
				return
			default:
				select {
				case <-r.updates:
				default:
				}
			}
		}
	}
	select {
	case r.updates <- u:
	default:
	}
}

func (r *run) close() {
	if r.closed {
		return
	}
	r.closed = true
	close(r.updates)
	r.judge.Close()
	r.mic.stop()
}

// challengeVoice is what the kiosk says when the challenge starts.
func challengeVoice(method certkiosk.Method, code string) []string {
	if method == certkiosk.MethodDigits {
		return append([]string{"read_digits"}, check.DigitKeys(code)...)
	}
	return []string{"blink"}
}
