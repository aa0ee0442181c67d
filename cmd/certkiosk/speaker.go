package main

import (
	"log"
	"sync"

	"certkiosk/ui"
)

// lateSpeaker opens the sound device in the background (with some sound
// servers that takes a noticeable time) so the sign-in window does not
// wait for it (issue 16). Until the device is open prompts are only shown,
// as without a sound device; nothing is said at the sign-in screen anyway.
type lateSpeaker struct {
	mu    sync.Mutex
	s     ui.Speaker // nil until open
	muted bool
	ready chan struct{} // closed once the device is open, or known missing
}

// openSpeaker starts opening the sound device with open (ui.NewSpeaker).
func openSpeaker(open func() (ui.Speaker, error), muted bool) *lateSpeaker {
	l := &lateSpeaker{muted: muted, ready: make(chan struct{})}
	go func() {
		defer close(l.ready)
		s, err := open()
		if err != nil {
			log.Printf("sound: %v (prompts will be shown, not spoken)", err)
		}
		if s == nil {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		s.SetMuted(l.muted) // the choice made meanwhile
		l.s = s
	}()
	return l
}

func (l *lateSpeaker) Say(keys ...string) {
	l.mu.Lock()
	s := l.s
	l.mu.Unlock()
	if s != nil {
		s.Say(keys...)
	}
}

func (l *lateSpeaker) SetMuted(m bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.muted = m
	if l.s != nil {
		l.s.SetMuted(m)
	}
}
