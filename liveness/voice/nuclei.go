package voice

import (
	"math"
	"time"
)

// NucleiOptions shape syllable-nucleus picking on the envelope, after de
// Jong & Wempe (2009): peaks of loudness separated by dips.
type NucleiOptions struct {
	VoiceDB float64 // a nucleus peaks at least this far above the noise
	DipDB   float64 // two nuclei have a dip at least this deep between them
	RelDB   float64 // a nucleus is at most this far below the loudest one
	MinGap  int     // fewest hops between two nuclei
}

// DefaultNuclei: a spoken Mandarin digit is one syllable of 150–400 ms.
// Digits run together (二零一, 八二) dip by only 3–5 dB between them in
// espeak-ng's cmn voice (3 dB counted 48 of its 51 digits, 2 dB split
// two), and by less in real speech: on the seven real Mandarin
// recordings of issue 22 (a digit string and sentences, 1–14 syllables)
// 3 dB undercounts every one and counts the digit string 二一一五四八八一 as
// 5 of 8; 2.5 dB counts each within max(1, 25 %) of its syllables
// (6/8, 1/1, 3/4, 12/13, 11/13, 12/12, 13/14). A longer MinGap only
// merges fast real syllables (5 a second).
var DefaultNuclei = NucleiOptions{VoiceDB: 6, DipDB: 2.5, RelDB: 25, MinGap: 10}

// Nuclei returns the hops of the syllable nuclei in env[from:to].
func Nuclei(env []float64, from, to int, opt NucleiOptions) []int {
	from, to = max(from, 0), min(to, len(env))
	var peaks []int
	cand, low := -1, math.Inf(1)
	for i := from; i < to; i++ {
		v := env[i]
		if cand >= 0 && v < low {
			low = v
		}
		isMax := v >= opt.VoiceDB && (i == from || v >= env[i-1]) && (i == to-1 || v > env[i+1])
		if !isMax {
			continue
		}
		switch {
		case cand < 0:
			cand, low = i, v
		case low <= math.Min(env[cand], v)-opt.DipDB && i-cand >= opt.MinGap:
			peaks = append(peaks, cand)
			cand, low = i, v
		case v > env[cand]:
			cand, low = i, v
		}
	}
	if cand >= 0 {
		peaks = append(peaks, cand)
	}
	top := math.Inf(-1)
	for _, p := range peaks {
		top = math.Max(top, env[p])
	}
	out := peaks[:0]
	for _, p := range peaks {
		if env[p] >= top-opt.RelDB {
			out = append(out, p)
		}
	}
	return out
}

// Activity is the first and last hop in env[from:to] at or above db that
// belong to a run of at least minRun hops; ok is false when there is none.
func Activity(env []float64, from, to int, db float64, minRun int) (first, last int, ok bool) {
	from, to = max(from, 0), min(to, len(env))
	first, last = -1, -1
	run := 0
	for i := from; i < to; i++ {
		if env[i] < db {
			run = 0
			continue
		}
		run++
		if run >= minRun {
			if first < 0 {
				first = i - run + 1
			}
			last = i
		}
	}
	return first, last, first >= 0
}

// Correlation is the normalised cross-correlation of a signal sampled at
// times ts (NaN where unknown) and the envelope env (hop i at time
// HopTime(i) of a), at each lag: Pearson's r of x(t) and env(t + lag).
// A positive lag means the sound comes after the mouth. Pairs whose
// envelope time falls outside env are left out; fewer than 10 pairs give 0.
func Correlation(ts []time.Duration, x []float64, env []float64, a *Analyzer, lags []time.Duration) []float64 {
	out := make([]float64, len(lags))
	t0 := a.HopTime(0)
	for li, lag := range lags {
		var n, sx, sy, sxx, syy, sxy float64
		for k, t := range ts {
			if math.IsNaN(x[k]) {
				continue
			}
			pos := float64(t+lag-t0) / float64(Hop)
			i := int(math.Floor(pos))
			if i < 0 || i+1 >= len(env) {
				continue
			}
			f := pos - float64(i)
			y := env[i]*(1-f) + env[i+1]*f
			n++
			sx += x[k]
			sy += y
			sxx += x[k] * x[k]
			syy += y * y
			sxy += x[k] * y
		}
		if n < 10 {
			continue
		}
		cov := sxy/n - sx/n*sy/n
		vx, vy := sxx/n-sx/n*sx/n, syy/n-sy/n*sy/n
		if vx <= 1e-12 || vy <= 1e-12 {
			continue
		}
		out[li] = cov / math.Sqrt(vx*vy)
	}
	return out
}
