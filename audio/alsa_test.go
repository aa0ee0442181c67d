//go:build cgo && linux

package audio

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ALSA's "null" device exists on every machine with libasound (it is in
// alsa-lib's own configuration) and captures silence at the device's
// pace: the capture path, its format and its clock, without a microphone.
func TestALSANull(t *testing.T) {
	a, err := OpenALSA("null")
	if err != nil {
		t.Fatalf("open the null device: %v", err)
	}
	defer a.Close()
	origin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var got int
	var first, last time.Duration = -1, 0
	if err := Pump(ctx, a, origin, func(at time.Duration, pcm []int16) {
		if first < 0 {
			first = at
		}
		last = at + time.Duration(len(pcm))*time.Second/SampleRate
		got += len(pcm)
		for _, s := range pcm {
			if s != 0 {
				t.Fatalf("null device gave sample %d", s)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if got < SampleRate/50 {
		t.Fatalf("read %d samples in 300 ms", got)
	}
	if first < -200*time.Millisecond || last > time.Since(origin)+50*time.Millisecond {
		t.Errorf("samples stamped %v … %v, outside the clock's %v", first, last, time.Since(origin))
	}
}

func TestALSAMissingDevice(t *testing.T) {
	_, err := OpenALSA("hw:97,0")
	if !errors.Is(err, ErrNoMicrophone) {
		t.Fatalf("err %v, want ErrNoMicrophone", err)
	}
}
