package face

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/liveness"

	"gocv.io/x/gocv"
)

// RunOptions configure Run.
type RunOptions struct {
	Pipeline Options
	Session  liveness.Config
	// Best keeps the best frame as JPEG in Report.Best.
	Best bool
	// Whole keeps reading to the end of the source after the verdict (to
	// count every blink of a clip); normally Run stops at the verdict.
	Whole bool
	// OnFrame, when set, sees every observation and the session's update
	// (for a live screen).
	OnFrame func(f *liveness.Frame, u liveness.Update)
}

// Report is the outcome of Run.
type Report struct {
	Result     liveness.Result
	Frames     int             // frames processed
	FaceFrames int             // frames processed with a face and landmarks
	Processing []time.Duration // per frame: detection + landmarks + state, decoding excluded
	P50, P95   time.Duration
	Best       []byte // JPEG, when asked for and a frame qualified
	BestFrame  int
	Blinks     []liveness.Blink // every blink after the prompt, also after the verdict with Whole
	Cycles     int              // mouth cycles after the prompt, also after the verdict with Whole
	// EyePasses is how many eyes the eye-state model read (one forward
	// pass each; see liveness.EyeNeed).
	EyePasses int
}

// Run drives one liveness session over src until a verdict (or, with
// Whole, the end of the source). A file that ends before the verdict is
// judged on what was seen. It returns an error only when frames cannot be
// read or processed, or ctx ends.
func Run(ctx context.Context, src camera.Source, opt RunOptions) (Report, error) {
	var rep Report
	var counter *liveness.Session
	if opt.Whole && opt.Session.Mode != "" {
		// A twin session that never stops early, to count every blink.
		c := opt.Session
		c.Blinks = 10
		if c.Mode == certkiosk.MethodDigits {
			lips := liveness.DefaultLips
			lips.CyclesPer = 100 // never satisfied: count to the end
			c.Speech = liveness.NewLipCheck(lips)
		}
		var err error
		if counter, err = liveness.NewSession(c); err != nil {
			return rep, fmt.Errorf("liveness run: %w", err)
		}
	}
	j, err := NewJudge(opt.Pipeline, opt.Session, opt.Best)
	if err != nil {
		return rep, fmt.Errorf("liveness run: %w", err)
	}
	defer j.Close()
	if counter != nil {
		j.Also(counter)
	}
	m := gocv.NewMat()
	defer m.Close()
	for {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("liveness run: %w", err)
		}
		t, err := src.Read(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("liveness run: %w", err)
		}
		start := time.Now()
		f, u, err := j.Step(m, t)
		if err != nil {
			return rep, fmt.Errorf("liveness run: %w", err)
		}
		rep.Processing = append(rep.Processing, time.Since(start))
		rep.Frames++
		if f.Faces > 0 && f.HasShape {
			rep.FaceFrames++
		}
		if opt.OnFrame != nil {
			opt.OnFrame(&f, u)
		}
		if u.Done && !opt.Whole {
			break
		}
	}
	if rep.Result, rep.Best, rep.BestFrame, err = j.Finish(); err != nil {
		return rep, fmt.Errorf("liveness run: %w", err)
	}
	rep.Blinks, rep.Cycles = rep.Result.Blinks, rep.Result.MouthCycles
	rep.EyePasses = j.Pipeline().EyePasses()
	if counter != nil {
		all := counter.Finish()
		rep.Blinks, rep.Cycles = all.Blinks, all.MouthCycles
	}
	rep.P50, rep.P95 = Percentile(rep.Processing, 0.50), Percentile(rep.Processing, 0.95)
	return rep, nil
}

// Percentile returns the q-quantile (nearest rank) of ds.
func Percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	k := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(k, len(s)-1))]
}
