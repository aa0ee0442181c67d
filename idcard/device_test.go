package idcard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fast makes faults quick to test.
var fast = Options{CommandTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond}

func newSim(t *testing.T, c *Card) *Simulator {
	t.Helper()
	s, err := NewSimulator(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// logLines collects Logf output and fails on a full identity number.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (l *logLines) check(t *testing.T, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, id) {
			t.Errorf("log shows the number: %q", s)
		}
	}
}

func TestDeviceFaults(t *testing.T) {
	card := goldenCard(t)
	for _, c := range []struct {
		name      string
		faults    Faults
		noCard    bool
		wantCode  string
		wantTries int // commands the simulator received, 0: don't care
	}{
		{name: "clean", wantTries: 3},
		{name: "one bad checksum, retried", faults: Faults{BadChecksum: 1}, wantTries: 4},
		{name: "bad checksums on each command", faults: Faults{BadChecksum: 2}, wantTries: 5},
		{name: "always bad checksum", faults: Faults{BadChecksum: 1000}, wantCode: CodeBadFrame, wantTries: 3},
		{name: "one timeout, retried", faults: Faults{Silent: 1}, wantTries: 4},
		{name: "silent reader", faults: Faults{Silent: 1000}, wantCode: CodeNoReader, wantTries: 3},
		{name: "line noise", faults: Faults{Garbage: []byte{0xAA, 0xAA, 0x00, 0x96, 0x69, 0xAA}}},
		{name: "stray preamble swallowing the answer", faults: Faults{Garbage: []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x30, 0x01}}, wantTries: 3},
		{name: "stray frame failing its checksum", faults: Faults{Garbage: []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x9F, 0x00}}, wantTries: 3},
		{name: "truncated answers", faults: Faults{Truncate: 12}, wantCode: CodeBadFrame, wantTries: 3},
		{name: "reader hears badly", faults: Faults{Status: SWChecksum}, wantCode: CodeBadFrame, wantTries: 3},
		{name: "reader failed self-test", faults: Faults{Status: SWSelfTest}, wantCode: CodeNoReader, wantTries: 1},
		{name: "no card", noCard: true, wantCode: CodeNoCard, wantTries: 1},
		{name: "card refuses the reader", faults: Faults{Status: SWReaderAuth}, wantCode: CodeBadCard},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSim(t, card)
			if c.noCard {
				s.Remove()
			}
			s.SetFaults(c.faults)
			var log logLines
			opts := fast
			opts.Logf = log.logf
			r := s.Reader(opts)
			defer r.Close()
			got, err := r.Read(ctxFor(t, 5*time.Second))
			if CodeOf(err) != c.wantCode || (err == nil) != (c.wantCode == "") {
				t.Fatalf("err %v, want %q", err, c.wantCode)
			}
			if err == nil && got.JSON(now2026) != card.JSON(now2026) {
				t.Fatalf("read %+v", got.JSON(now2026))
			}
			if c.wantTries > 0 && s.Commands() != c.wantTries {
				t.Errorf("%d commands sent, want %d", s.Commands(), c.wantTries)
			}
			log.check(t, string(card.ID))
		})
	}
}

func TestDeviceCancelAndTimeout(t *testing.T) {
	s := newSim(t, goldenCard(t))
	s.SetFaults(Faults{Silent: 1000})
	r := s.Reader(Options{CommandTimeout: 10 * time.Second})
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.Read(ctx)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Fatalf("cancelled read: %v after %v", err, time.Since(start))
	}
	// A deadline shorter than the command's timeout ends the read on time.
	start = time.Now()
	_, err = r.Read(ctxFor(t, 150*time.Millisecond))
	if CodeOf(err) != CodeNoReader || time.Since(start) > 2*time.Second {
		t.Fatalf("deadline: %v after %v", err, time.Since(start))
	}
}

func TestDeviceUnplugged(t *testing.T) {
	s := newSim(t, goldenCard(t))
	r := s.Reader(fast)
	defer r.Close()
	s.Unplug()
	if _, err := r.Read(ctxFor(t, time.Second)); CodeOf(err) != CodeNoReader {
		t.Fatalf("unplugged: %v", err)
	}
	s.Plug()
	if _, err := r.Read(ctxFor(t, time.Second)); CodeOf(err) != CodeNoReader {
		t.Fatalf("a gone device stays gone until reopened: %v", err)
	}
	if _, err := s.Opener(fast)(context.Background()); err != nil {
		t.Fatal(err)
	}
}
