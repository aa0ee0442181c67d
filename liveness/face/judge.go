package face

import (
	"fmt"
	"time"

	"certkiosk/liveness"

	"gocv.io/x/gocv"
)

// Judge is one liveness check over a stream of frames: detection and
// landmarks (Pipeline), the session's state machine, and the best frame.
// `kioskctl liveness`, the validation set and the kiosk's check service
// all judge through it, so they cannot drift apart.
type Judge struct {
	pl    *Pipeline
	sess  *liveness.Session
	best  *BestFrame // nil when not kept
	also  []*liveness.Session
	index int
	done  bool
}

// NewJudge starts a check with the given pipeline and session settings;
// keepBest keeps the best frame for Finish. Close it when done.
func NewJudge(pipe Options, cfg liveness.Config, keepBest bool) (*Judge, error) {
	sess, err := liveness.NewSession(cfg)
	if err != nil {
		return nil, fmt.Errorf("liveness session: %w", err)
	}
	pl, err := NewPipeline(pipe)
	if err != nil {
		return nil, err
	}
	j := &Judge{pl: pl, sess: sess}
	if keepBest {
		j.best = NewBestFrame()
	}
	return j, nil
}

// Also has every frame observed by s too (a twin session that counts
// every blink of a clip after the verdict); the eye-state model reads what
// either session needs.
func (j *Judge) Also(s *liveness.Session) { j.also = append(j.also, s) }

// Step judges the next frame m, taken at t since the start of the check.
// After the verdict (Update.Done) frames are still measured, not judged.
func (j *Judge) Step(m gocv.Mat, t time.Duration) (liveness.Frame, liveness.Update, error) {
	var need liveness.EyeNeed
	if !j.done {
		need = j.sess.EyeNeed()
	}
	for _, s := range j.also {
		need = need.Or(s.EyeNeed())
	}
	f, err := j.pl.ProcessNeed(m, j.index, t, need)
	if err != nil {
		return f, liveness.Update{}, fmt.Errorf("frame %d: %w", j.index, err)
	}
	j.index++
	var u liveness.Update
	if !j.done {
		u = j.sess.Observe(f)
		j.done = u.Done
	}
	for _, s := range j.also {
		s.Observe(f)
	}
	if j.best != nil {
		if b, ok := j.sess.Baseline(); ok {
			j.best.Offer(m, f.Index, liveness.BestScore(&f, b, liveness.DefaultGates, liveness.DefaultBlink))
		}
	}
	return f, u, nil
}

// State is the session's state (positioning, baseline, challenge, done).
func (j *Judge) State() liveness.State { return j.sess.State() }

// Pipeline is the detector the judge uses (for its counters).
func (j *Judge) Pipeline() *Pipeline { return j.pl }

// Finish returns the verdict and, when kept, the best frame as JPEG and
// its index (-1 when none qualified).
func (j *Judge) Finish() (liveness.Result, []byte, int, error) {
	r := j.sess.Finish()
	if j.best == nil {
		return r, nil, -1, nil
	}
	jpg, err := j.best.JPEG(90)
	if err != nil {
		return r, nil, -1, fmt.Errorf("best frame: %w", err)
	}
	return r, jpg, j.best.Index(), nil
}

// Close frees the detector and the kept frame.
func (j *Judge) Close() {
	if j.best != nil {
		j.best.Close()
	}
	j.pl.Close()
}
