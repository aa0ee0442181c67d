package ui

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"sync"

	"certkiosk/assets"

	"github.com/ebitengine/oto/v3"
)

// Speaker says prompts aloud. A kiosk without a working sound device gets
// a silent speaker: certification never waits for sound.
type Speaker interface {
	// Say stops what is playing and says the prompts in order.
	Say(keys ...string)
	SetMuted(bool)
}

// Clip is a decoded voice prompt.
type Clip struct {
	Rate     int
	Channels int
	PCM      []byte // signed 16-bit little-endian
}

// LoadVoice decodes the prompt key from the bundled WAV files.
func LoadVoice(key string) (Clip, error) {
	data, err := assets.Voices.ReadFile("voice/" + key + ".wav")
	if err != nil {
		return Clip{}, fmt.Errorf("voice %q: %w", key, err)
	}
	return parseWAV(data)
}

// parseWAV reads a canonical PCM WAV: the fmt chunk, then the data chunk.
func parseWAV(b []byte) (Clip, error) {
	var c Clip
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return c, errors.New("not a WAV file")
	}
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8 : min(p+8+size, len(b))]
		switch id {
		case "fmt ":
			if len(body) < 16 || binary.LittleEndian.Uint16(body[0:2]) != 1 || binary.LittleEndian.Uint16(body[14:16]) != 16 {
				return c, errors.New("WAV is not 16-bit PCM")
			}
			c.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
			c.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if c.Rate == 0 {
				return c, errors.New("WAV data before its format")
			}
			c.PCM = body
			return c, nil
		}
		p += 8 + size + size%2
	}
	return c, errors.New("WAV has no data chunk")
}

// Sequence joins prompts into one PCM stream (all prompts share one format).
func Sequence(keys ...string) (Clip, error) {
	var out Clip
	var buf bytes.Buffer
	for _, k := range keys {
		c, err := LoadVoice(k)
		if err != nil {
			return out, err
		}
		if out.Rate == 0 {
			out.Rate, out.Channels = c.Rate, c.Channels
		} else if c.Rate != out.Rate || c.Channels != out.Channels {
			return out, fmt.Errorf("voice %q: format differs from the others", k)
		}
		buf.Write(c.PCM)
		buf.Write(make([]byte, out.Rate/10*2*out.Channels)) // 0.1 s pause between parts
	}
	out.PCM = buf.Bytes()
	return out, nil
}

// NewSpeaker opens the sound device, or returns a silent speaker and the
// reason when there is none (the kiosk logs it and goes on).
func NewSpeaker() (Speaker, error) {
	// Without sound hardware, ALSA would only print a page of complaints.
	if _, err := os.Stat("/dev/snd"); err != nil {
		return silent{}, fmt.Errorf("no sound device: %w", err)
	}
	c, err := LoadVoice("welcome")
	if err != nil {
		return silent{}, err
	}
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{SampleRate: c.Rate, ChannelCount: c.Channels,
		Format: oto.FormatSignedInt16LE})
	if err != nil {
		return silent{}, fmt.Errorf("sound device: %w", err)
	}
	<-ready
	return &otoSpeaker{ctx: ctx}, nil
}

type silent struct{}

func (silent) Say(...string) {}
func (silent) SetMuted(bool) {}

type otoSpeaker struct {
	ctx    *oto.Context
	mu     sync.Mutex
	player *oto.Player
	muted  bool
}

func (s *otoSpeaker) SetMuted(m bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.muted = m
	if m && s.player != nil {
		s.player.Pause()
	}
}

// Say replaces what is playing; Play returns at once (oto plays in its own
// goroutine), so the UI never waits for speech.
func (s *otoSpeaker) Say(keys ...string) {
	clip, err := Sequence(keys...)
	if err != nil {
		log.Printf("speaker: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.muted {
		return
	}
	if s.player != nil {
		s.player.Pause()
		s.player.Close()
	}
	s.player = s.ctx.NewPlayer(io.NopCloser(bytes.NewReader(clip.PCM)))
	s.player.Play()
}
