package audio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"certkiosk/wav"
)

func TestSamplesSourceStampsItsClock(t *testing.T) {
	pcm := make([]int16, SampleRate/2)
	start := time.Now()
	src := &Samples{PCM: pcm, Start: start.Add(100 * time.Millisecond)}
	var got int
	var ats []time.Duration
	if err := Pump(context.Background(), src, start, func(at time.Duration, b []int16) {
		ats = append(ats, at)
		got += len(b)
	}); err != nil {
		t.Fatal(err)
	}
	if got != len(pcm) || ats[0] != 100*time.Millisecond || ats[1] != 120*time.Millisecond {
		t.Fatalf("%d samples, stamps %v", got, ats[:2])
	}
	if n, _, err := src.Read(make([]int16, 10)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after the end: %d, %v", n, err)
	}
}

// A video's own sound track, and a video without one.
func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	tone := make([]int16, SampleRate)
	for i := range tone {
		tone[i] = int16(8000 * ((i / 20) % 2))
	}
	var b bytes.Buffer
	if err := wav.Write(&b, tone); err != nil {
		t.Fatal(err)
	}
	wav := filepath.Join(dir, "tone.wav")
	if err := os.WriteFile(wav, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	withSound, silent := filepath.Join(dir, "a.avi"), filepath.Join(dir, "b.avi")
	for _, c := range [][]string{
		{"-f", "lavfi", "-i", "color=c=gray:s=64x48:d=1:r=30", "-i", wav, "-c:v", "mjpeg", "-c:a", "pcm_s16le", "-ar", "48000", "-ac", "2", withSound},
		{"-f", "lavfi", "-i", "color=c=gray:s=64x48:d=1:r=30", "-c:v", "mjpeg", silent},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-loglevel", "error", "-y"}, c...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
	}
	pcm, err := DecodeFile(context.Background(), withSound)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < SampleRate*95/100 || len(pcm) > SampleRate*105/100 {
		t.Fatalf("decoded %d samples of a 1 s track", len(pcm))
	}
	if _, err := DecodeFile(context.Background(), silent); !errors.Is(err, ErrNoSoundTrack) {
		t.Fatalf("silent video: %v, want ErrNoSoundTrack", err)
	}
	if _, err := DecodeFile(context.Background(), filepath.Join(dir, "missing.avi")); err == nil {
		t.Fatal("missing file decoded")
	}
	got, err := ReadWAVFile(wav)
	if err != nil || len(got) != len(tone) {
		t.Fatalf("ReadWAVFile: %d samples, %v", len(got), err)
	}
}
