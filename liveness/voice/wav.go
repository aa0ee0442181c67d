package voice

import (
	"io"

	"certkiosk/wav"
)

// MaxSeconds bounds what ReadWAV accepts (wav.MaxSeconds).
const MaxSeconds = wav.MaxSeconds

// ReadWAV reads a WAV file as 16 kHz mono samples (wav.Read).
func ReadWAV(r io.Reader) ([]int16, error) { return wav.Read(r) }

// WriteWAV writes 16 kHz mono samples as a WAV file (wav.Write).
func WriteWAV(w io.Writer, pcm []int16) error { return wav.Write(w, pcm) }

// Resample converts samples at rate to SampleRate (wav.Resample).
func Resample(pcm []int16, rate int) []int16 { return wav.Resample(pcm, rate) }
