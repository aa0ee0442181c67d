// Package wav reads the sound the kiosk hears and plays: RIFF WAVE files
// of 16-bit PCM, as 16 kHz mono samples. Capture (audio) and analysis
// (liveness/voice) both take samples in this form; neither links the other.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// SampleRate is the rate of every sample the kiosk hears, in Hz.
const SampleRate = 16000

// MaxSeconds bounds what Read accepts: a challenge is at most a
// minute of sound; more is not a recording of one.
const MaxSeconds = 120

// Read reads a RIFF WAVE file of 16-bit PCM (any rate, mono or
// stereo) and returns it as 16 kHz mono. Chunks are read with their
// sizes checked against MaxSeconds before anything is allocated.
func Read(r io.Reader) ([]int16, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("wav: header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, errors.New("wav: not a RIFF WAVE file")
	}
	var rate, channels, bits int
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("wav: no data chunk: %w", err)
		}
		size := int64(binary.LittleEndian.Uint32(ch[4:]))
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > 1024 {
				return nil, fmt.Errorf("wav: fmt chunk of %d bytes", size)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("wav: fmt chunk: %w", err)
			}
			format := binary.LittleEndian.Uint16(b[0:])
			channels = int(binary.LittleEndian.Uint16(b[2:]))
			rate = int(binary.LittleEndian.Uint32(b[4:]))
			bits = int(binary.LittleEndian.Uint16(b[14:]))
			if format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format's first 2 bytes
				format = binary.LittleEndian.Uint16(b[24:])
			}
			if format != 1 || bits != 16 || channels < 1 || channels > 2 || rate < 8000 || rate > 96000 {
				return nil, fmt.Errorf("wav: format %d, %d bits, %d channels, %d Hz: want 16-bit PCM, mono or stereo, 8–96 kHz", format, bits, channels, rate)
			}
		case "data":
			if rate == 0 {
				return nil, errors.New("wav: data before fmt")
			}
			// Streams written on the fly (espeak-ng --stdout, arecord)
			// say 0 or a huge size: read to the end, never past the limit.
			limit := int64(MaxSeconds * rate * channels * 2)
			if size == 0 || size > limit {
				size = limit + 1
			}
			b, err := io.ReadAll(io.LimitReader(r, size))
			if err != nil {
				return nil, fmt.Errorf("wav: data: %w", err)
			}
			if int64(len(b)) > limit {
				return nil, fmt.Errorf("wav: more than %d s of sound", MaxSeconds)
			}
			pcm := make([]int16, len(b)/2/channels)
			for i := range pcm {
				var s int
				for c := range channels {
					s += int(int16(binary.LittleEndian.Uint16(b[(i*channels+c)*2:])))
				}
				pcm[i] = int16(s / channels)
			}
			return Resample(pcm, rate), nil
		default:
			if size > 1<<20 {
				return nil, fmt.Errorf("wav: %q chunk of %d bytes", ch[0:4], size)
			}
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return nil, fmt.Errorf("wav: %q chunk: %w", ch[0:4], err)
			}
		}
	}
}

// Resample converts pcm at rate to SampleRate by linear interpolation
// after a moving-average low-pass when shrinking (enough for an envelope
// that stops at 4 kHz).
func Resample(pcm []int16, rate int) []int16 {
	if rate == SampleRate || len(pcm) == 0 {
		return pcm
	}
	src := pcm
	if rate > SampleRate {
		r := int(math.Ceil(float64(rate)/SampleRate)) / 2
		f := make([]float64, len(pcm))
		for i := range pcm {
			f[i] = float64(pcm[i])
		}
		sm := MovingAverage(f, r)
		src = make([]int16, len(sm))
		for i, v := range sm {
			src[i] = int16(v)
		}
	}
	n := int(int64(len(src)) * SampleRate / int64(rate))
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(rate) / SampleRate
		k := int(pos)
		f := pos - float64(k)
		if k+1 >= len(src) {
			out[i] = src[len(src)-1]
			continue
		}
		out[i] = int16(math.Round(float64(src[k])*(1-f) + float64(src[k+1])*f))
	}
	return out
}

// Write writes 16 kHz mono 16-bit PCM as a WAVE file (tests, fixtures).
func Write(w io.Writer, pcm []int16) error {
	b := make([]byte, 44+2*len(pcm))
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], SampleRate)
	binary.LittleEndian.PutUint32(b[28:], SampleRate*2)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(pcm)))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	return nil
}

// MovingAverage is x smoothed by the mean over [i−r, i+r], clipped to x.
func MovingAverage(x []float64, r int) []float64 {
	out := make([]float64, len(x))
	var sum float64
	for i := range x {
		// Sum over [i−r, i+r] clipped to the slice.
		lo, hi := max(0, i-r), min(len(x)-1, i+r)
		if i == 0 {
			sum = 0
			for k := lo; k <= hi; k++ {
				sum += x[k]
			}
		} else {
			if j := i + r; j < len(x) {
				sum += x[j]
			}
			if j := i - r - 1; j >= 0 {
				sum -= x[j]
			}
		}
		out[i] = sum / float64(hi-lo+1)
	}
	return out
}
