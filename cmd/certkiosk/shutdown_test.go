package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is written by the watchdog's goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func stuckForTest(block <-chan struct{}) { <-block }

func TestShutdownWatchdogExitsAStuckKioskWithItsStacks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	block := make(chan struct{})
	defer close(block)
	go stuckForTest(block) // what the stacks must show
	var out lockedBuffer
	exited := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchShutdown(ctx, stopped, 50*time.Millisecond, &out, func(code int) { exited <- code })
	}()
	cancel()
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("exit code %d, want 1", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the watchdog did not exit a kiosk stuck stopping")
	}
	<-done
	if s := out.String(); !strings.Contains(s, "still stopping") || !strings.Contains(s, "stuckForTest") {
		t.Errorf("the log does not say where the kiosk was stuck:\n%.600s", s)
	}
}

func TestShutdownWatchdogLetsAKioskStop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	var out lockedBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchShutdown(ctx, stopped, time.Hour, &out, func(code int) { t.Errorf("exit(%d) for a kiosk that stopped", code) })
	}()
	cancel()
	close(stopped)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the watchdog did not return once the kiosk stopped")
	}
	if out.String() != "" {
		t.Errorf("the watchdog wrote %q for a kiosk that stopped", out.String())
	}
}

func TestShutdownWatchdogEndsWithTheKiosk(t *testing.T) {
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchShutdown(context.Background(), stopped, time.Hour, &lockedBuffer{}, func(int) { t.Error("exit without a stop") })
	}()
	close(stopped) // the window was closed by staff: no signal ever comes
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the watchdog goroutine outlived the kiosk")
	}
}

// Told to stop while it starts, the kiosk stops with status 0 and says so;
// a failure to start is still one (status 1, in Chinese first).
func TestStopWhileStartingIsNoFailure(t *testing.T) {
	var out bytes.Buffer
	if code := exitStatus(context.Background(), nil, &out); code != 0 || out.Len() != 0 {
		t.Errorf("a clean run: status %d, said %q", code, out.String())
	}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if code := exitStatus(stopped, context.Canceled, &out); code != 0 || !strings.Contains(out.String(), "已停止") {
		t.Errorf("stopped while starting: status %d, said %q", code, out.String())
	}
	out.Reset()
	failed := errors.New("open data directory: permission denied")
	if code := exitStatus(context.Background(), failed, &out); code != 1 || !strings.Contains(out.String(), "permission denied") {
		t.Errorf("a failure to start: status %d, said %q", code, out.String())
	}
}
