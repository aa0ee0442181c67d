package liveness

import (
	"math"
	"slices"
	"time"

	"certkiosk"
)

// State is where a session stands.
type State int

// Session states, in order.
const (
	StatePositioning State = iota // waiting for one well-placed face
	StateBaseline                 // measuring the person's open eyes and closed mouth
	StatePrompt                   // baseline done, prompt not yet shown
	StateChallenge                // prompt shown, watching for blinks or speech
	StateDone                     // verdict given
)

func (s State) String() string {
	return [...]string{"positioning", "baseline", "prompt", "challenge", "done"}[s]
}

// Reasons a session fails besides the quality issues' codes.
const (
	ReasonNoBlink  = "no_blink"
	ReasonNoSpeech = "no_speech"
	ReasonTimeout  = "timeout" // never got a usable face long enough to start
)

// PromptChallenge is Update.Prompt while the challenge is on: blink, or
// read the digits (the screen words it with the count or the code).
const PromptChallenge = "challenge"

// Config sets up a session. Zero durations and counts take the defaults
// noted; a zero TimeLimit or PositioningTimeout means "until Finish", as
// for a file, whose whole clip after the baseline is the challenge window.
type Config struct {
	Mode   certkiosk.Method
	Code   string // digits mode: the 4–6 digit code shown to the person
	Blinks int    // blink mode: blinks required after the prompt (default 2)

	TimeLimit          time.Duration // challenge window after the prompt
	PositioningTimeout time.Duration // time to get a usable face, from the first frame
	PromptDelay        time.Duration // from baseline to prompt; random in live use (RandomDelay)

	SettleFrames   int           // good frames in a row before the baseline (default 3)
	BaselineWindow time.Duration // baseline length (default 1 s)
	BaselineFrames int           // fewest usable frames in it (default 5)
	MultiFaceLimit time.Duration // several faces this long in the challenge fail it (default 500 ms)

	Gates Gates        // zero value: DefaultGates
	Blink BlinkOptions // zero value: DefaultBlink
	// Appearance is the eye-pixel cue of a blink (zero value:
	// DefaultAppearance); NoAppearance turns it off (EAR only).
	Appearance   AppearanceOptions
	NoAppearance bool
	// Closed is the learned eye-state cue of a blink (issue 22; zero
	// value: DefaultClosed), used when the frames carry Frame.EyeClosed;
	// NoClosed turns it off. The landmark and pixel cues count beside
	// it unless ClosedOnly is set (see the README for what each adds).
	Closed     ClosedOptions
	NoClosed   bool
	ClosedOnly bool
	Speech     SpeechCheck // nil: a LipCheck with DefaultLips
}

// Live settings for a counter (issue 3): 10 s to do the challenge, 30 s to
// get into position, and the prompt 0.5–2 s after the baseline at random.
const (
	LiveTimeLimit          = 10 * time.Second
	LivePositioningTimeout = 30 * time.Second
	LivePromptMin          = 500 * time.Millisecond
	LivePromptMax          = 2 * time.Second
)

// Live returns cfg with the live settings filled in where cfg leaves them
// zero; the prompt delay is drawn from crypto/rand, so a replayed video
// cannot know when the prompt comes.
func Live(cfg Config) (Config, error) {
	if cfg.TimeLimit == 0 {
		cfg.TimeLimit = LiveTimeLimit
	}
	if cfg.PositioningTimeout == 0 {
		cfg.PositioningTimeout = LivePositioningTimeout
	}
	if cfg.PromptDelay == 0 {
		d, err := RandomDelay(LivePromptMin, LivePromptMax)
		if err != nil {
			return cfg, err
		}
		cfg.PromptDelay = d
	}
	return cfg, nil
}

// Baseline is the person's own resting eyes and mouth.
type Baseline struct {
	EAR, MAR float64     // medians over the baseline frames
	mouth    *mouthModel // the closed mouth's look, nil without patches
	Frames   int
	Start    time.Duration
	End      time.Duration
}

// Result is a session's outcome.
type Result struct {
	Mode        certkiosk.Method
	Verdict     certkiosk.Verdict // pass or fail
	Reason      string            // "" on pass
	Blinks      []Blink           // counted blinks (after the prompt)
	MouthCycles int
	// SpeechCheck is which read-digits check judged (CheckLips without a
	// microphone, CheckLipsVoice with one); "" in blink mode. AV holds
	// the audio-visual check's figures when it ran.
	SpeechCheck    string
	AV             *AVReport
	Frames         int
	FaceFrames     int
	DecidedAtFrame int
	DecidedAt      time.Duration
	PromptAt       time.Duration
	Baseline       Baseline
}

// Update is what a session says after each frame, for the screen.
type Update struct {
	State State
	Issue Issue // the frame's quality issue, zero when fine
	// Prompt is the code of what to show now: the issue's code, or
	// PromptChallenge while the challenge is on; "" keeps the last. The
	// words are the translations' (prompt.<code>), not the engine's.
	Prompt string
	Blink  *Blink // a blink counted on this frame
	Done   bool
}

// Session is one liveness check: positioning → baseline → prompt →
// challenge → verdict. It is driven by frames alone (their timestamps are
// its clock), so the same clip always gives the same result.
type Session struct {
	cfg    Config
	state  State
	result Result

	first     bool
	start     time.Duration
	lastFrame *Frame
	settled   int
	issues    map[string]int

	ears, mars []float64
	patches    [][2]Patch // baseline eye patches
	scores     []float64  // baseline eye-closed scores
	eyeProbs   [2][]float64
	mouths     []Patch // baseline mouth patches
	base       Baseline

	blink    *BlinkDetector
	app      *appearanceBlinks // nil without eye patches
	closed   *closedBlinks     // nil without the eye-state model
	prevLM   *[68]Point        // the last judged frame's landmarks
	jumpAt   int               // the last frame whose rigid shape jumped (-1: none)
	armed    bool
	multi    bool
	multiAt  time.Duration
	promptAt time.Duration
}

// NewSession validates cfg and starts a session.
func NewSession(cfg Config) (*Session, error) {
	switch cfg.Mode {
	case certkiosk.MethodBlink:
		if cfg.Blinks == 0 {
			cfg.Blinks = 2
		}
		if cfg.Blinks < 1 || cfg.Blinks > 10 {
			return nil, certkiosk.E(certkiosk.EINVALID, "error.liveness.blinks", "liveness session: %d blinks required, want 1–10", cfg.Blinks)
		}
	case certkiosk.MethodDigits:
		if !validCode(cfg.Code) {
			return nil, certkiosk.E(certkiosk.EINVALID, "error.liveness.code", "liveness session: code %q, want 4–6 digits", cfg.Code)
		}
		if cfg.Speech == nil {
			cfg.Speech = NewLipCheck(DefaultLips)
		}
	default:
		return nil, certkiosk.E(certkiosk.EINVALID, "error.liveness.method", "liveness session: mode %q", cfg.Mode)
	}
	if cfg.SettleFrames == 0 {
		cfg.SettleFrames = 3
	}
	if cfg.BaselineWindow == 0 {
		cfg.BaselineWindow = time.Second
	}
	if cfg.BaselineFrames == 0 {
		cfg.BaselineFrames = 5
	}
	if cfg.MultiFaceLimit == 0 {
		cfg.MultiFaceLimit = 500 * time.Millisecond
	}
	if cfg.Gates == (Gates{}) {
		cfg.Gates = DefaultGates
	}
	if cfg.Blink == (BlinkOptions{}) {
		cfg.Blink = DefaultBlink
	}
	if cfg.Appearance == (AppearanceOptions{}) {
		cfg.Appearance = DefaultAppearance
	}
	if cfg.Closed == (ClosedOptions{}) {
		cfg.Closed = DefaultClosed
	}
	return &Session{cfg: cfg, first: true, issues: map[string]int{},
		result: Result{Mode: cfg.Mode, DecidedAtFrame: -1}, jumpAt: -1}, nil
}

// State is the current state.
func (s *Session) State() State { return s.state }

// Baseline returns the person's baseline once measured.
func (s *Session) Baseline() (Baseline, bool) { return s.base, s.state > StateBaseline }

// Result returns the outcome; ok is false until the session is done.
func (s *Session) Result() (Result, bool) { return s.result, s.state == StateDone }

// Observe feeds the next frame. Frames after the verdict are ignored.
func (s *Session) Observe(f Frame) Update {
	if s.state == StateDone {
		return Update{State: StateDone, Done: true}
	}
	if s.first {
		s.first, s.start = false, f.Time
	}
	s.lastFrame = &f
	s.result.Frames++
	if f.Faces > 0 && f.HasShape {
		s.result.FaceFrames++
	}
	issue, ok := s.cfg.Gates.Check(&f)
	u := Update{Issue: issue}
	if !ok {
		u.Prompt = issue.Code
	}

	switch s.state {
	case StatePositioning:
		s.position(&f, issue, ok)
	case StateBaseline:
		s.measure(&f, issue, ok)
	case StatePrompt, StateChallenge:
		if s.state == StatePrompt && f.Time >= s.promptAt {
			s.state = StateChallenge
			if s.cfg.Mode == certkiosk.MethodDigits {
				s.cfg.Speech.Start(s.cfg.Code, s.base, s.promptAt)
			}
		}
		u.Blink = s.challenge(&f, ok)
	}
	if s.state == StateChallenge && ok {
		u.Prompt = PromptChallenge
	}
	u.State, u.Done = s.state, s.state == StateDone
	return u
}

func (s *Session) position(f *Frame, issue Issue, ok bool) {
	if !ok {
		s.issues[issue.Code]++
		s.settled = 0
		if s.cfg.PositioningTimeout > 0 && f.Time-s.start >= s.cfg.PositioningTimeout {
			s.decideFail(f, s.positioningReason())
		}
		return
	}
	s.settled++
	if s.settled >= s.cfg.SettleFrames {
		s.state = StateBaseline
		s.ears, s.mars, s.patches, s.mouths, s.scores = s.ears[:0], s.mars[:0], s.patches[:0], s.mouths[:0], s.scores[:0]
		s.eyeProbs = [2][]float64{}
		s.base = Baseline{Start: f.Time}
		s.measure(f, issue, ok)
	}
}

// positioningReason is the most frequent quality issue while positioning
// (ties broken by code, for determinism); no_face when nothing was seen.
func (s *Session) positioningReason() Issue {
	best, n := IssueNoFace, 0
	for _, is := range allIssues {
		if c := s.issues[is.Code]; c > n {
			best, n = is, c
		}
	}
	return best
}

var allIssues = []Issue{IssueNoFace, IssueMultipleFaces, IssueTooSmall, IssueTooLarge, IssueOffCentre,
	IssueTooDark, IssueTooBright, IssueBlurred, IssueTurnedAway, IssueTurnRight, IssueTurnLeft, IssueLookUp, IssueLookDown}

func (s *Session) measure(f *Frame, issue Issue, ok bool) {
	if f.Time-s.base.Start < s.cfg.BaselineWindow {
		if ok {
			ear, _ := f.EyeEAR()
			mar, _ := f.MouthMAR()
			s.ears = append(s.ears, ear)
			s.mars = append(s.mars, mar)
			if f.Eyes[0].Valid && f.Eyes[1].Valid {
				s.patches = append(s.patches, f.Eyes)
			}
			if f.Mouth.Valid && s.cfg.Mode == certkiosk.MethodDigits {
				s.mouths = append(s.mouths, f.Mouth)
			}
			if p, ok := f.EyesClosedScore(); ok {
				s.scores = append(s.scores, p)
			}
			for k := range 2 {
				if f.EyeSeen[k] {
					s.eyeProbs[k] = append(s.eyeProbs[k], f.EyeClosed[k])
				}
			}
		}
		return
	}
	if len(s.ears) < s.cfg.BaselineFrames {
		// Too few usable frames: the face came and went; start over.
		s.state, s.settled = StatePositioning, 0
		s.position(f, issue, ok)
		return
	}
	// The median ignores a blink inside the window.
	s.base.EAR, s.base.MAR = median(s.ears), median(s.mars)
	s.base.Frames, s.base.End = len(s.ears), f.Time
	if !s.cfg.NoAppearance {
		s.base.mouth = newMouthModel(s.mouths, s.mars)
	}
	s.mouths = nil
	s.result.Baseline = s.base
	s.blink = NewBlinkDetector(s.base.EAR, s.cfg.Blink)
	if s.base.EAR > 0 {
		r := make([]float64, len(s.ears))
		for i, e := range s.ears {
			r[i] = e / s.base.EAR
		}
		s.blink.SetNoise(spread(r))
	}
	if m := newEyeModel(s.patches, s.ears); m.ok && !s.cfg.NoAppearance && s.cfg.Mode == certkiosk.MethodBlink {
		s.app = newAppearanceBlinks(m, s.base.EAR, s.cfg.Appearance, s.cfg.Blink)
	}
	s.patches = nil
	if s.cfg.Mode == certkiosk.MethodBlink && !s.cfg.NoClosed && len(s.scores) >= max(3, len(s.ears)/2) {
		// The model's open-eye level is the person's own: near 0 on a
		// sharp face, noisier on a small, upscaled one. When the eyes
		// already read closed (held shut, or a face the model cannot
		// read), the landmark and pixel cues judge alone, as before.
		if d, ok := newClosedBlinks(s.scores, s.eyeProbs, s.cfg.Closed); ok {
			s.closed = d
		}
	}
	s.scores, s.eyeProbs = nil, [2][]float64{}
	s.promptAt = f.Time + s.cfg.PromptDelay
	s.result.PromptAt = s.promptAt
	s.state = StatePrompt
	if f.Time >= s.promptAt {
		s.state = StateChallenge
		if s.cfg.Mode == certkiosk.MethodDigits {
			s.cfg.Speech.Start(s.cfg.Code, s.base, s.promptAt)
		}
	}
	s.challenge(f, ok)
}

// challenge tracks the eyes (from the baseline on, so a blink already under
// way at the prompt is recognised as such and not counted) and decides.
//
// Only frames that pass the quality gates are judged: when tracking
// slips (the box collapses, the face blurs or turns too far) the
// landmarks and patches change wildly, and that is no blink or syllable.
func (s *Session) challenge(f *Frame, good bool) *Blink {
	single := f.Faces == 1 && f.HasShape && good
	if f.Faces > 1 {
		if !s.multi {
			s.multi, s.multiAt = true, f.Time
		}
		if s.state == StateChallenge && f.Time-s.multiAt >= s.cfg.MultiFaceLimit {
			s.decideFail(f, IssueMultipleFaces)
			return nil
		}
	} else {
		s.multi = false
	}
	var counted *Blink
	if s.cfg.Mode == certkiosk.MethodBlink {
		// The eye-state model and the landmark and pixel cues each
		// count; the same lid movement seen by several counts once.
		landmarks := s.closed == nil || !s.cfg.ClosedOnly
		if single {
			// A photo swapped for another changes the whole face at
			// once: no blink spans such a jump (see count).
			if s.prevLM != nil && ShapeChange(s.prevLM, &f.Landmarks) > s.cfg.Closed.MaxJump {
				s.jumpAt = f.Index
			}
			lm := f.Landmarks
			s.prevLM = &lm
			if s.closed != nil {
				z := math.NaN()
				if s.app != nil {
					z = s.app.changeZ(f)
				}
				if b, ok := s.closed.observe(f, z); ok {
					counted = s.count(b)
				}
			}
			ear, _ := f.EyeEAR()
			if landmarks {
				// Arm only once the eyes are seen open after the baseline:
				// eyes closed at the prompt cannot start a counted blink.
				if !s.armed {
					s.armed = ear > s.cfg.Blink.OpenFrac*s.base.EAR
				} else if b, ok := s.blink.Observe(f.Index, f.Time, ear); ok && counted == nil {
					counted = s.count(b)
				}
			}
			if s.app != nil && landmarks {
				if b, ok := s.app.observe(f, ear); ok && counted == nil {
					counted = s.count(b)
				}
			}
		} else {
			// prevLM stays: a swap behind a hand is a swap too.
			s.blink.Missing(f.Time)
			if s.app != nil {
				s.app.missing(f.Time)
			}
			if s.closed != nil {
				s.closed.missing(f.Time)
			}
		}
		if len(s.result.Blinks) >= s.cfg.Blinks {
			s.decidePass(f)
			return counted
		}
	} else if s.state == StateChallenge {
		// Every frame goes to the check (an audio check keeps its own
		// clock); a frame that fails the gates carries no face.
		g := *f
		if !single {
			g.HasShape, g.Mouth.Valid = false, false
		}
		s.cfg.Speech.Frame(&g)
		r := s.cfg.Speech.Decide(false)
		s.speech(r)
		if r.Done {
			if r.Pass {
				s.decidePass(f)
			} else {
				s.decideFail(f, Issue{Code: r.Reason})
			}
			return nil
		}
	}
	if s.state == StateChallenge && s.cfg.TimeLimit > 0 && f.Time-s.promptAt >= s.cfg.TimeLimit {
		s.finishChallenge(f)
	}
	return counted
}

// count adds a blink seen by either cue, once: the same lid movement
// seen by both is one blink. Only blinks that start at or after the
// prompt count.
func (s *Session) count(b Blink) *Blink {
	if s.state != StateChallenge || b.Start < s.promptAt {
		return nil
	}
	if s.jumpAt >= 0 && s.jumpAt >= b.StartFrame-1 {
		return nil // the face's shape jumped in it: a swapped photo
	}
	if n := len(s.result.Blinks); n > 0 && overlaps(s.result.Blinks[n-1], b) {
		return nil
	}
	s.result.Blinks = append(s.result.Blinks, b)
	return &b
}

// Finish ends the input (end of the clip, or the caller gives up) and
// returns the verdict: a session not yet decided fails with the reason for
// the state it is in.
func (s *Session) Finish() Result {
	if s.state == StateDone {
		return s.result
	}
	f := s.lastFrame
	if f == nil {
		f = &Frame{Index: -1}
	}
	switch s.state {
	case StatePositioning, StateBaseline:
		s.decideFail(f, s.positioningReason())
	default:
		s.finishChallenge(f)
	}
	return s.result
}

func (s *Session) finishChallenge(f *Frame) {
	if s.cfg.Mode == certkiosk.MethodBlink {
		s.decideFail(f, Issue{Code: ReasonNoBlink})
		return
	}
	if s.state != StateChallenge { // prompt never shown
		s.decideFail(f, Issue{Code: ReasonNoSpeech})
		return
	}
	r := s.cfg.Speech.Decide(true)
	s.speech(r)
	if r.Pass {
		s.decidePass(f)
		return
	}
	reason := r.Reason
	if reason == "" {
		reason = ReasonNoSpeech
	}
	s.decideFail(f, Issue{Code: reason})
}

// speech copies a speech check's figures into the result.
func (s *Session) speech(r SpeechResult) {
	s.result.MouthCycles, s.result.SpeechCheck = r.Cycles, r.Check
	if av, ok := s.cfg.Speech.(interface{ Report() AVReport }); ok {
		rep := av.Report()
		s.result.AV = &rep
	}
}

func (s *Session) decidePass(f *Frame) {
	s.state = StateDone
	s.result.Verdict, s.result.Reason = certkiosk.VerdictPass, ""
	s.result.DecidedAtFrame, s.result.DecidedAt = f.Index, f.Time
}

func (s *Session) decideFail(f *Frame, is Issue) {
	s.state = StateDone
	s.result.Verdict, s.result.Reason = certkiosk.VerdictFail, is.Code
	s.result.DecidedAtFrame, s.result.DecidedAt = f.Index, f.Time
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	c := slices.Clone(v)
	slices.Sort(c)
	if n := len(c); n%2 == 1 {
		return c[n/2]
	} else {
		return (c[n/2-1] + c[n/2]) / 2
	}
}

// BestScore rates f as the retiree's photo for the record: 0 unless the
// frame passes the gates with eyes open (against the baseline), else its
// sharpness weighted by how frontal the face is.
func BestScore(f *Frame, b Baseline, g Gates, opt BlinkOptions) float64 {
	if _, ok := g.Check(f); !ok || b.EAR <= 0 {
		return 0
	}
	ear, _ := f.EyeEAR()
	if ear < opt.OpenFrac*b.EAR {
		return 0
	}
	p, _ := f.HeadPose()
	front := math.Cos(p.Yaw*math.Pi/180) * math.Cos(p.Pitch*math.Pi/180)
	return f.Sharpness * front
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
