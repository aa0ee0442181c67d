package ui

import (
	"encoding/json"
	"image"
	"image/color"
	"sync"
	"time"

	"certkiosk"
	"certkiosk/liveness"
	"certkiosk/liveness/face"

	"gocv.io/x/gocv"
)

// LiveChecker runs liveness checks on the frames of the kiosk's single
// capture loop (see Feed): the loop hands each frame to the active check
// in its own goroutine, so the window never waits for the detector and no
// frame is copied.
type LiveChecker struct {
	Pipeline face.Options
	// Blinks and TimeLimit read the supervisor's settings at each start.
	Blinks    func() int
	TimeLimit func() time.Duration
	// Positioning is how long the retiree has to get into place (0: the
	// live default, 30 s).
	Positioning time.Duration
	// Now stamps records (time.Now when nil).
	Now func() time.Time

	mu     sync.Mutex
	active *liveCheck
}

type liveCheck struct {
	sess     *liveness.Session
	pl       *face.Pipeline
	best     *face.BestFrame
	updates  chan CheckUpdate
	started  time.Time
	index    int
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
}

// Start begins a check on the next frames.
func (c *LiveChecker) Start(method certkiosk.Method) (string, <-chan CheckUpdate, func(), error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	cfg := liveness.Config{Mode: method, Blinks: c.Blinks()}
	code := ""
	if method == certkiosk.MethodDigits {
		var err error
		if code, err = liveness.NewCode(4); err != nil {
			return "", nil, nil, err
		}
		cfg.Code = code
	}
	cfg.TimeLimit = c.TimeLimit()
	cfg.PositioningTimeout = c.Positioning
	cfg, err := liveness.Live(cfg)
	if err != nil {
		return "", nil, nil, err
	}
	sess, err := liveness.NewSession(cfg)
	if err != nil {
		return "", nil, nil, err
	}
	pl, err := face.NewPipeline(c.Pipeline)
	if err != nil {
		return "", nil, nil, err
	}
	lc := &liveCheck{sess: sess, pl: pl, best: face.NewBestFrame(), updates: make(chan CheckUpdate, 8),
		started: now(), first: true, limit: cfg.TimeLimit, method: method, code: code}
	c.mu.Lock()
	if c.active != nil {
		c.active.close()
	}
	c.active = lc
	c.mu.Unlock()
	lc.send(CheckUpdate{Voice: []string{"position"}})
	cancel := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.active == lc {
			lc.close()
			c.active = nil
		}
	}
	return code, lc.updates, cancel, nil
}

// Active reports whether a check is running (the capture loop shows the
// face guide only then).
func (c *LiveChecker) Active() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active != nil
}

// Frame feeds the active check, in the capture goroutine. It returns the
// face box to draw and whether the frame was good enough to judge.
func (c *LiveChecker) Frame(m gocv.Mat, t time.Duration) (image.Rectangle, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	lc := c.active
	if lc == nil {
		return image.Rectangle{}, false, false
	}
	if err := lc.frame(m, t); err != nil {
		lc.send(CheckUpdate{Err: err})
		lc.close()
		c.active = nil
		return image.Rectangle{}, false, true
	}
	if lc.closed {
		c.active = nil
	}
	return lc.box, lc.good, true
}

// Fail ends the active check with a camera error (device lost).
func (c *LiveChecker) Fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active != nil {
		c.active.send(CheckUpdate{Err: err})
		c.active.close()
		c.active = nil
	}
}

// issueVoice maps quality issues to voice prompts.
var issueVoice = map[string]string{
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

func (lc *liveCheck) frame(m gocv.Mat, t time.Duration) error {
	if lc.first {
		lc.t0, lc.first = t, false
	}
	t -= lc.t0 // the session's clock starts with the check
	f, err := lc.pl.Process(m, lc.index, t)
	if err != nil {
		return err
	}
	lc.index++
	prev := lc.sess.State()
	u := lc.sess.Observe(f)
	lc.box, lc.good = f.Box, u.Issue.Code == ""
	if b, ok := lc.sess.Baseline(); ok {
		lc.best.Offer(m, f.Index, liveness.BestScore(&f, b, liveness.DefaultGates, liveness.DefaultBlink))
	}
	out := CheckUpdate{Prompt: u.Prompt}
	if u.State == liveness.StateChallenge {
		if prev != liveness.StateChallenge {
			lc.challAt = t
			out.Voice = []string{"blink"}
			if lc.method == certkiosk.MethodDigits {
				out.Voice = append([]string{"read_digits"}, DigitKeys(lc.code)...)
			}
			lc.lastSaid, lc.saidAt = "challenge", t
		}
		if lc.limit > 0 {
			out.Remaining = lc.limit - (t - lc.challAt)
		}
	} else if key, ok := issueVoice[u.Issue.Code]; ok && (key != lc.lastSaid || t-lc.saidAt > 6*time.Second) && t-lc.saidAt > 3*time.Second {
		out.Voice, lc.lastSaid, lc.saidAt = []string{key}, key, t
	}
	if u.Done {
		r := lc.sess.Finish()
		best, _ := lc.best.JPEG(90)
		metrics, _ := json.Marshal(map[string]any{
			"reason": r.Reason, "blinks": len(r.Blinks), "mouth_cycles": r.MouthCycles, "frames": r.Frames,
			"face_frames": r.FaceFrames, "decided_at_frame": r.DecidedAtFrame, "decided_at_ms": r.DecidedAt.Milliseconds(),
			"prompt_at_ms": r.PromptAt.Milliseconds(), "baseline_ear": r.Baseline.EAR, "baseline_mar": r.Baseline.MAR})
		out = CheckUpdate{Done: true, Result: CheckResult{Verdict: r.Verdict, Reason: r.Reason, Metrics: metrics,
			Best: best, Started: lc.started, Ended: lc.started.Add(t)}}
		lc.send(out)
		lc.close()
		return nil
	}
	lc.send(out)
	return nil
}

// send delivers an update; intermediate ones are dropped when the screen
// is behind (the next one supersedes them), the final one never is.
func (lc *liveCheck) send(u CheckUpdate) {
	if lc.closed {
		return
	}
	if u.Done || u.Err != nil {
		// The final update must arrive, but the capture loop must never
		// block on a screen that is behind: drop the oldest pending
		// (intermediate, superseded) update to make room.
		for {
			select {
			case lc.updates <- u:
				return
			default:
				select {
				case <-lc.updates:
				default:
				}
			}
		}
	}
	select {
	case lc.updates <- u:
	default:
	}
}

func (lc *liveCheck) close() {
	if lc.closed {
		return
	}
	lc.closed = true
	close(lc.updates)
	lc.best.Close()
	lc.pl.Close()
}

// drawGuide draws the face guide (where to put the face) and the detected
// face box onto a preview frame: green when the frame is good, amber when
// the retiree must move (the words on screen say how; colour is never the
// only signal).
func drawGuide(img *image.RGBA, box image.Rectangle, good bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	guide := image.Rect(w*3/10, h/8, w*7/10, h*7/8)
	strokeRect(img, guide, color.RGBA{255, 255, 255, 255}, 2)
	if !box.Empty() {
		c := color.RGBA{255, 176, 0, 255}
		if good {
			c = color.RGBA{40, 200, 80, 255}
		}
		strokeRect(img, box, c, 4)
	}
}

func strokeRect(img *image.RGBA, r image.Rectangle, c color.RGBA, width int) {
	r = r.Intersect(img.Rect)
	for k := 0; k < width; k++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, r.Min.Y+k, c)
			img.SetRGBA(x, r.Max.Y-1-k, c)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			img.SetRGBA(r.Min.X+k, y, c)
			img.SetRGBA(r.Max.X-1-k, y, c)
		}
	}
}
