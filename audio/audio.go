// Package audio is the kiosk's microphone: a Source of 16 kHz mono sound
// stamped in the same monotonic clock as the camera's frames, from ALSA's
// default input (alsa.go, cgo) or from a WAV file or a video's own sound
// track (for tests and kioskctl). The judgement of the sound is
// liveness/voice, plain Go; this package only captures and decodes.
package audio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"certkiosk/wav"
)

// SampleRate is the rate every Source delivers.
const SampleRate = wav.SampleRate

// ErrNoMicrophone is what Open returns when there is no input device: the
// kiosk then checks the lips only and says so.
var ErrNoMicrophone = errors.New("audio: no microphone")

// Source delivers consecutive 16 kHz mono samples. Read fills buf and
// returns the monotonic time of the first sample it returned; it blocks
// at most about one buffer's length, so a caller's loop stays stoppable.
// io.EOF ends a finite source.
type Source interface {
	Read(buf []int16) (n int, at time.Time, err error)
	Close() error
}

// Pump reads src until ctx ends or the source does, handing each buffer
// to fn with its first sample's time on the clock that starts at origin
// (the clock of the frames). It returns nil at io.EOF or when ctx ends.
func Pump(ctx context.Context, src Source, origin time.Time, fn func(at time.Duration, pcm []int16)) error {
	buf := make([]int16, SampleRate/50) // 20 ms
	for ctx.Err() == nil {
		n, at, err := src.Read(buf)
		if n > 0 {
			fn(at.Sub(origin), buf[:n])
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audio pump: %w", err)
		}
	}
	return nil
}

// Samples is a Source over samples in memory (a WAV file's, in tests),
// stamped from Start on (zero: the time of the first Read); with Pace it
// delivers them in real time, as a microphone would.
type Samples struct {
	PCM   []int16
	Start time.Time
	Pace  bool
	pos   int
}

// Read implements Source.
func (s *Samples) Read(buf []int16) (int, time.Time, error) {
	if s.pos >= len(s.PCM) {
		return 0, time.Time{}, io.EOF
	}
	if s.Start.IsZero() {
		s.Start = time.Now()
	}
	at := s.Start.Add(time.Duration(s.pos) * time.Second / SampleRate)
	n := copy(buf, s.PCM[s.pos:])
	s.pos += n
	if s.Pace {
		if wait := time.Until(s.Start.Add(time.Duration(s.pos) * time.Second / SampleRate)); wait > 0 {
			time.Sleep(wait)
		}
	}
	return n, at, nil
}

// Close implements Source.
func (s *Samples) Close() error { return nil }

// ReadWAVFile reads a WAV file as 16 kHz mono (wav.Read).
func ReadWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	defer f.Close()
	pcm, err := wav.Read(f)
	if err != nil {
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	return pcm, nil
}

// ErrNoSoundTrack says a video file has no sound.
var ErrNoSoundTrack = errors.New("audio: the file has no sound track")

// DecodeFile decodes the first sound track of a media file (a video with
// sound, any audio file) to 16 kHz mono with ffmpeg, at most
// wav.MaxSeconds of it.
func DecodeFile(ctx context.Context, path string) ([]int16, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	// ffprobe first: ffmpeg fails alike for "no sound" and "broken file".
	probe, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		return nil, fmt.Errorf("audio: ffprobe %s: %w", path, err)
	}
	if len(bytes.TrimSpace(probe)) == 0 {
		return nil, ErrNoSoundTrack
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-vn",
		"-ac", "1", "-ar", fmt.Sprint(SampleRate), "-t", fmt.Sprint(wav.MaxSeconds), "-f", "wav", "-")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("audio: ffmpeg %s: %w: %s", path, err, bytes.TrimSpace(errb.Bytes()))
	}
	if out.Len() == 0 {
		return nil, ErrNoSoundTrack
	}
	pcm, err := wav.Read(&out)
	if err != nil {
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	if len(pcm) == 0 {
		return nil, ErrNoSoundTrack
	}
	return pcm, nil
}
