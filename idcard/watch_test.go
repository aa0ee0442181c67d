package idcard

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// next waits for the next event.
func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("events closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	return Event{}
}

// quiet checks that nothing happens for a while.
func quiet(t *testing.T, ch <-chan Event, d time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("unexpected %v (%v)", e.Kind, e.Err)
	case <-time.After(d):
	}
}

func TestWatch(t *testing.T) {
	card := goldenCard(t)
	s := newSim(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log logLines
	ch := Watch(ctx, s.Opener(fast), WatchOptions{Interval: 20 * time.Millisecond, Reopen: 50 * time.Millisecond, Logf: log.logf})
	if e := next(t, ch); e.Kind != ReaderReady {
		t.Fatalf("first %v", e.Kind)
	}
	quiet(t, ch, 100*time.Millisecond)

	s.Place(card)
	if e := next(t, ch); e.Kind != CardPlaced || e.Card.ID != card.ID {
		t.Fatalf("placed: %v %v", e.Kind, e.Err)
	}
	// Left on the reader: announced once.
	quiet(t, ch, 200*time.Millisecond)

	// Lifted for one poll: still the same card, nothing to say.
	s.Remove()
	time.Sleep(25 * time.Millisecond)
	s.Place(card)
	quiet(t, ch, 200*time.Millisecond)

	s.Remove()
	if e := next(t, ch); e.Kind != CardRemoved {
		t.Fatalf("removed: %v", e.Kind)
	}

	// A card with a wrong check character: refused once, then removed.
	bad := card.Text()
	bad.ID = "110105194912310021"
	if err := s.PlaceText(bad, nil); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch); e.Kind != CardRefused || CodeOf(e.Err) != CodeBadCard {
		t.Fatalf("refused: %v %v", e.Kind, e.Err)
	}
	quiet(t, ch, 150*time.Millisecond)
	s.Remove()
	if e := next(t, ch); e.Kind != CardRemoved {
		t.Fatalf("refused card removed: %v", e.Kind)
	}

	// Unplugged with a card on it, and plugged back: the card is new again.
	s.Place(card)
	if e := next(t, ch); e.Kind != CardPlaced {
		t.Fatalf("placed again: %v", e.Kind)
	}
	s.Unplug()
	if e := next(t, ch); e.Kind != ReaderGone || CodeOf(e.Err) != CodeNoReader {
		t.Fatalf("gone: %v %v", e.Kind, e.Err)
	}
	quiet(t, ch, 200*time.Millisecond) // reopening fails quietly
	s.Plug()
	if e := next(t, ch); e.Kind != ReaderReady {
		t.Fatalf("back: %v", e.Kind)
	}
	if e := next(t, ch); e.Kind != CardPlaced {
		t.Fatalf("placed after plugging back: %v", e.Kind)
	}

	cancel()
	for range ch { // closes once stopped
	}
	log.check(t, string(card.ID))
	log.check(t, "110105194912310021")
}

// Watch over a pty: the simulator unplugged (pty closed) and plugged back
// (a new pty): the opener is called again until it opens.
func TestWatchPTYReplug(t *testing.T) {
	card := goldenCard(t)
	s := newSim(t, card)
	p, err := s.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var path atomic.Value
	path.Store(p.Path)
	current := func(ctx context.Context) (Reader, error) { return DeviceOpener(path.Load().(string), fast)(ctx) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Watch(ctx, current, WatchOptions{Interval: 20 * time.Millisecond, Reopen: 50 * time.Millisecond})
	if e := next(t, ch); e.Kind != ReaderReady {
		t.Fatal(e.Kind)
	}
	if e := next(t, ch); e.Kind != CardPlaced {
		t.Fatal(e.Kind, e.Err)
	}
	p.Close()
	if e := next(t, ch); e.Kind != ReaderGone {
		t.Fatal(e.Kind)
	}
	p2, err := s.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	path.Store(p2.Path)
	if e := next(t, ch); e.Kind != ReaderReady {
		t.Fatal(e.Kind, e.Err)
	}
	if e := next(t, ch); e.Kind != CardPlaced {
		t.Fatal(e.Kind, e.Err)
	}
	cancel()
	for range ch {
	}
}
