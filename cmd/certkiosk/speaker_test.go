package main

import (
	"errors"
	"sync"
	"testing"

	"certkiosk/ui"
)

type fakeSpeaker struct {
	mu    sync.Mutex
	said  [][]string
	muted bool
}

func (f *fakeSpeaker) Say(keys ...string) { f.mu.Lock(); f.said = append(f.said, keys); f.mu.Unlock() }
func (f *fakeSpeaker) SetMuted(m bool)    { f.mu.Lock(); f.muted = m; f.mu.Unlock() }

// The sound device opens behind the window: what is said before it is
// open is shown only, a mute chosen meanwhile holds, and once open it
// speaks.
func TestSpeakerOpensInTheBackground(t *testing.T) {
	release := make(chan struct{})
	real := &fakeSpeaker{}
	l := openSpeaker(func() (ui.Speaker, error) { <-release; return real, nil }, false)
	l.Say("welcome") // the device is not open yet: must not block
	l.SetMuted(true)
	close(release)
	<-l.ready
	real.mu.Lock()
	if len(real.said) != 0 || !real.muted {
		t.Fatalf("before open: said %v, muted %v; want nothing said, muted", real.said, real.muted)
	}
	real.mu.Unlock()
	l.SetMuted(false)
	l.Say("blink")
	if len(real.said) != 1 || real.said[0][0] != "blink" || real.muted {
		t.Fatalf("after open: said %v, muted %v", real.said, real.muted)
	}
	// No device: the silent speaker ui.NewSpeaker returns with its error.
	none := openSpeaker(func() (ui.Speaker, error) { return &fakeSpeaker{}, errors.New("no sound device") }, true)
	<-none.ready
	none.Say("pass")
}
