package live

import (
	"bytes"
	"context"
	"log"
	"sync"
	"time"

	"certkiosk/assets"
	"certkiosk/audio"
	"certkiosk/liveness"
	"certkiosk/liveness/voice"
)

// micFeed pumps the microphone into a read-digits check's AVCheck, in the
// frames' clock: the session's time 0 is the first frame, and sound is
// stamped with the monotonic time of its first sample, so a buffer read
// before the first frame waits until that frame says where 0 is. All its
// methods are no-ops on a nil *micFeed (no microphone).
type micFeed struct {
	av     *liveness.AVCheck
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	zero    time.Time // wall time of the first frame; zero until then
	pending []stamped
}

type stamped struct {
	at  time.Time
	pcm []int16
}

// maxPending bounds the sound kept before the first frame (the camera
// delivers within a second; more is a stalled camera).
const maxPending = 5 * audio.SampleRate

func newMicFeed(src audio.Source) *micFeed {
	ctx, cancel := context.WithCancel(context.Background())
	m := &micFeed{av: liveness.NewAVCheck(liveness.DefaultVoice, liveness.DefaultLips), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		defer src.Close()
		// Pump's clock starts now; stamps go back onto the wall clock.
		base := time.Now()
		if err := audio.Pump(ctx, src, base, func(at time.Duration, pcm []int16) {
			m.add(base.Add(at), pcm)
		}); err != nil {
			// A microphone unplugged mid-check: the check goes on with
			// what it heard; the log says why.
			log.Printf("check: microphone: %v", err)
		}
	}()
	return m
}

func (m *micFeed) add(at time.Time, pcm []int16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.zero.IsZero() {
		n := 0
		for _, p := range m.pending {
			n += len(p.pcm)
		}
		if n+len(pcm) <= maxPending {
			m.pending = append(m.pending, stamped{at, append([]int16(nil), pcm...)})
		}
		return
	}
	m.av.Audio(at.Sub(m.zero), pcm)
}

// origin sets the wall time of the session's time 0 (the first frame).
func (m *micFeed) origin(zero time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.zero = zero
	for _, p := range m.pending {
		m.av.Audio(p.at.Sub(zero), p.pcm)
	}
	m.pending = nil
}

// kioskSpeaks tells the check that the kiosk says keys from t on.
func (m *micFeed) kioskSpeaks(t time.Duration, keys []string) {
	if m == nil || len(keys) == 0 {
		return
	}
	// The loudspeaker's own delay and the room's echo: 300 ms more.
	m.av.KioskSpeaks(t, t+voiceLength(keys)+300*time.Millisecond)
}

// stop ends the pump and waits for it (at most one buffer, 20 ms).
func (m *micFeed) stop() {
	if m == nil {
		return
	}
	m.cancel()
	<-m.done
}

// voiceLength is how long the voice prompts keys take to say, from their
// WAV files (assets/voice) and the speaker's 0.1 s pause after each (ui's
// Sequence); a missing one counts a second.
func voiceLength(keys []string) time.Duration {
	d := time.Duration(len(keys)) * 100 * time.Millisecond
	for _, k := range keys {
		b, err := assets.Voices.ReadFile("voice/" + k + ".wav")
		if err != nil {
			d += time.Second
			continue
		}
		// 16-bit mono at the header's rate: the data's length is all.
		pcm, err := voice.ReadWAV(bytes.NewReader(b))
		if err != nil {
			d += time.Second
			continue
		}
		d += time.Duration(len(pcm)) * time.Second / voice.SampleRate
	}
	return d
}
