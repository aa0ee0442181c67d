package ui

import (
	"io/fs"
	"strings"
	"testing"

	"certkiosk/assets"
	"certkiosk/check"
)

func promptKeys(t *testing.T) []string {
	t.Helper()
	data, err := assets.Voices.ReadFile("voice/prompts.txt")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, text, ok := strings.Cut(line, "|")
		if !ok || k == "" || text == "" {
			t.Fatalf("bad prompts line %q", line)
		}
		keys = append(keys, k)
	}
	return keys
}

// Every listed prompt was rendered, is speech-length 16-bit PCM, and no
// stray WAV ships.
func TestVoicePromptsAreRendered(t *testing.T) {
	keys := promptKeys(t)
	want := map[string]bool{}
	for _, k := range keys {
		want[k+".wav"] = true
		c, err := LoadVoice(k)
		if err != nil {
			t.Fatalf("%s: %v (run scripts/voices.sh)", k, err)
		}
		secs := float64(len(c.PCM)) / float64(2*c.Channels*c.Rate)
		if c.Channels != 1 || c.Rate < 16000 || secs < 0.2 || secs > 10 {
			t.Errorf("%s: %d ch %d Hz %.2f s", k, c.Channels, c.Rate, secs)
		}
		loud := 0
		for i := 0; i+1 < len(c.PCM); i += 2 {
			if v := int16(uint16(c.PCM[i]) | uint16(c.PCM[i+1])<<8); v > 3000 || v < -3000 {
				loud++
			}
		}
		if loud < c.Rate/20 {
			t.Errorf("%s: almost silent (%d loud samples)", k, loud)
		}
	}
	files, _ := fs.Glob(assets.Voices, "voice/*.wav")
	for _, f := range files {
		if !want[strings.TrimPrefix(f, "voice/")] {
			t.Errorf("%s is not in prompts.txt", f)
		}
	}
	for _, k := range []string{"blink", "read_digits", "closer", "too_dark", "pass", "fail", "d0", "d9"} {
		if !want[k+".wav"] {
			t.Errorf("prompt %q missing", k)
		}
	}
}

func TestSequenceAndDigits(t *testing.T) {
	keys := append([]string{"read_digits"}, check.DigitKeys("4821")...)
	if strings.Join(keys, ",") != "read_digits,d4,d8,d2,d1" {
		t.Fatalf("keys %v", keys)
	}
	seq, err := Sequence(keys...)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, k := range keys {
		c, _ := LoadVoice(k)
		total += len(c.PCM) + c.Rate/10*2
	}
	if len(seq.PCM) != total {
		t.Fatalf("sequence %d bytes, parts add to %d", len(seq.PCM), total)
	}
	if _, err := Sequence("nope"); err == nil {
		t.Fatal("unknown prompt accepted")
	}
	if _, err := parseWAV([]byte("RIFF0000WAVEjunk")); err == nil {
		t.Fatal("junk parsed as WAV")
	}
}

// Without a sound device (CI, Xvfb) the kiosk gets a silent speaker and
// goes on; with one, a real one. Either way Say returns at once.
func TestSpeakerNeverBlocks(t *testing.T) {
	s, err := NewSpeaker()
	if s == nil {
		t.Fatal("no speaker at all")
	}
	if err != nil {
		t.Logf("no sound device here (%v): silent speaker", err)
	}
	s.Say("blink")
	s.SetMuted(true)
	s.Say("pass")
}
