// Package voice analyses the microphone's sound during a read-digits
// challenge: band powers every 10 ms, a noise floor from the lead-in
// before the prompt, a loudness envelope above that floor, syllable
// nuclei, and the normalised cross-correlation of the envelope with the
// mouth's opening. Plain Go, no cgo and no model: it builds and tests with
// CGO_ENABLED=0, and the same samples always give the same numbers.
//
// Input is 16 kHz mono 16-bit PCM (what the capture side delivers and
// what `Decode` makes of any file).
package voice

import (
	"certkiosk/wav"
	"math"
	"slices"
	"time"
)

// Analysis constants: 10 ms hops of a 32 ms Hann window (512 points, so a
// radix-2 FFT), and Bands log-spaced bands between 200 Hz and 4 kHz,
// where speech has its energy and a hall's hum and hiss have least.
const (
	SampleRate = wav.SampleRate
	HopSize    = 160 // samples per hop: 10 ms
	WinSize    = 512 // samples per window: 32 ms
	Bands      = 16
	Hop        = 10 * time.Millisecond

	lowHz, highHz = 200.0, 4000.0
)

// Analyzer turns samples into per-hop band powers as they arrive. It is
// not safe for concurrent use; the caller serialises Write and reads.
type Analyzer struct {
	start   time.Duration // clock time of the first sample
	pending []float64     // samples not yet past a full window
	hann    [WinSize]float64
	fft     *fft
	re, im  []float64
	edges   [Bands + 1]int // FFT bin edges of the bands

	// Power holds each hop's band powers (a full-scale sine is 1);
	// Flat its spectral flatness over the speech band (0 for
	// a pure tone … 1 for white noise).
	Power [][Bands]float32
	Flat  []float32
}

// NewAnalyzer starts an analysis whose first sample is at clock time start
// (the frames' clock, so sound and video line up).
func NewAnalyzer(start time.Duration) *Analyzer {
	a := &Analyzer{start: start, fft: newFFT(WinSize), re: make([]float64, WinSize), im: make([]float64, WinSize)}
	for i := range a.hann {
		a.hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/WinSize)
	}
	binHz := float64(SampleRate) / WinSize
	for b := range a.edges {
		hz := lowHz * math.Pow(highHz/lowHz, float64(b)/Bands)
		a.edges[b] = int(math.Round(hz / binHz))
	}
	for b := 1; b < len(a.edges); b++ {
		if a.edges[b] <= a.edges[b-1] {
			a.edges[b] = a.edges[b-1] + 1
		}
	}
	return a
}

// Start is the clock time of the first sample.
func (a *Analyzer) Start() time.Duration { return a.start }

// Hops is the number of hops analysed.
func (a *Analyzer) Hops() int { return len(a.Power) }

// HopTime is the clock time of hop i's window centre.
func (a *Analyzer) HopTime(i int) time.Duration {
	return a.start + time.Duration(i)*Hop + time.Duration(WinSize/2)*time.Second/SampleRate
}

// HopAt is the hop whose centre is nearest to clock time t (may be out of
// range).
func (a *Analyzer) HopAt(t time.Duration) int {
	c := t - a.start - time.Duration(WinSize/2)*time.Second/SampleRate
	return int(math.Round(float64(c) / float64(Hop)))
}

// End is the clock time just after the last sample written.
func (a *Analyzer) End() time.Duration {
	n := len(a.Power)*HopSize + len(a.pending)
	return a.start + time.Duration(n)*time.Second/SampleRate
}

// Write adds consecutive samples (16-bit PCM).
func (a *Analyzer) Write(pcm []int16) {
	for _, s := range pcm {
		a.pending = append(a.pending, float64(s)/32768)
	}
	a.drain()
}

// drain analyses every full window in pending and keeps the rest (one
// copy per call, so a long buffer costs no more per sample than a short).
func (a *Analyzer) drain() {
	off := 0
	for len(a.pending)-off >= WinSize {
		a.hop(a.pending[off : off+WinSize])
		off += HopSize
	}
	a.pending = a.pending[:copy(a.pending, a.pending[off:])]
}

// WriteFloat adds consecutive samples in [-1, 1].
func (a *Analyzer) WriteFloat(pcm []float64) {
	a.pending = append(a.pending, pcm...)
	a.drain()
}

func (a *Analyzer) hop(w []float64) {
	for i, s := range w {
		a.re[i], a.im[i] = s*a.hann[i], 0
	}
	a.fft.transform(a.re, a.im)
	var p [Bands]float32
	var logSum, sum float64
	n := 0
	for b := range Bands {
		var acc float64
		for k := a.edges[b]; k < a.edges[b+1]; k++ {
			q := a.re[k]*a.re[k] + a.im[k]*a.im[k]
			acc += q
			logSum += math.Log(q + 1e-20)
			sum += q
			n++
		}
		// The band's power, scaled so a full-scale sine reads 1 (0 dBFS):
		// by Parseval the positive bins of a Hann-windowed sine of
		// amplitude A hold N²·3A²/32.
		p[b] = float32(acc * 32 / (3 * WinSize * WinSize))
	}
	flat := float32(0)
	if sum > 0 {
		flat = float32(math.Exp(logSum/float64(n)) / (sum / float64(n)))
	}
	a.Power = append(a.Power, p)
	a.Flat = append(a.Flat, flat)
}

// Noise is the background's band powers and overall level.
type Noise struct {
	Band  [Bands]float64
	Level float64 // dBFS over the speech band, of the band powers' sum
	Hops  int     // hops it was measured on
}

// noiseFloorMin keeps a digitally silent lead-in from making every
// rounding error "voice": −90 dBFS per band.
const noiseFloorMin = 1e-9

// EstimateNoise measures the background on hops [from, to) — the lead-in
// before the prompt, when the person is still and silent — leaving out
// hops for which skip (may be nil) says so (the kiosk's own voice). Each
// band takes the 30th percentile of its powers, so a cough in part of
// the lead-in barely moves it. With fewer than 20 hops there, the
// quietest 10 % of all hops stand in (minimum statistics).
func (a *Analyzer) EstimateNoise(from, to int, skip func(hop int) bool) Noise {
	from, to = max(from, 0), min(to, len(a.Power))
	var idx []int
	for i := from; i < to; i++ {
		if skip == nil || !skip(i) {
			idx = append(idx, i)
		}
	}
	q := 0.3
	if len(idx) < 20 {
		idx = idx[:0]
		for i := range a.Power {
			idx = append(idx, i)
		}
		q = 0.1
	}
	var n Noise
	n.Hops = len(idx)
	col := make([]float64, len(idx))
	total := 0.0
	for b := range Bands {
		for k, i := range idx {
			col[k] = float64(a.Power[i][b])
		}
		v := noiseFloorMin
		if len(col) > 0 {
			slices.Sort(col)
			v = max(col[int(q*float64(len(col)-1))], noiseFloorMin)
		}
		n.Band[b] = v
		total += v
	}
	n.Level = 10 * math.Log10(total)
	return n
}

// Envelope is each hop's loudness above the noise, in dB: the power that
// exceeds twice the noise in each band (so stationary hall noise adds
// nothing), over the noise's total, as 10·log10(1 + excess/noise). 0
// is background; a syllable at a normal level in a quiet room reads
// 30–50, the same in a hall at 10 dB SNR 10–20.
func (a *Analyzer) Envelope(n Noise) []float64 {
	env := make([]float64, len(a.Power))
	for i := range a.Power {
		env[i] = a.Loudness(i, n)
	}
	return Smooth(env, EnvelopeSmooth)
}

// EnvelopeSmooth is the envelope's smoothing: a centred mean over
// 2·EnvelopeSmooth+1 hops (50 ms).
const EnvelopeSmooth = 2

// Loudness is hop i's loudness above the noise before smoothing (see
// Envelope), for callers that keep the envelope as sound arrives.
func (a *Analyzer) Loudness(i int, n Noise) float64 {
	total, ex := 0.0, 0.0
	for b, v := range a.Power[i] {
		total += n.Band[b]
		if d := float64(v) - 2*n.Band[b]; d > 0 {
			ex += d
		}
	}
	return 10 * math.Log10(1+ex/total)
}

// Smooth is a centred moving average over 2r+1 values.
func Smooth(x []float64, r int) []float64 { return wav.MovingAverage(x, r) }
