package idcard

import (
	"context"
	"time"
)

// EventKind says what happened on the reader.
type EventKind int

// Events of Watch.
const (
	// ReaderReady: the reader is open and answering (at start and when
	// plugged back in).
	ReaderReady EventKind = iota + 1
	// ReaderGone: the reader was unplugged or stopped answering; a card
	// that was on it counts as removed. Err says why.
	ReaderGone
	// CardPlaced: a card was put on the reader and read; Card is set.
	CardPlaced
	// CardRefused: a card was put on the reader but could not be read or
	// is not valid (a wrong check character, say); Err is an *Error whose
	// Message is for staff.
	CardRefused
	// CardRemoved: the card placed (or refused) was taken away.
	CardRemoved
)

func (k EventKind) String() string {
	switch k {
	case ReaderReady:
		return "reader_ready"
	case ReaderGone:
		return "reader_gone"
	case CardPlaced:
		return "card_placed"
	case CardRefused:
		return "card_refused"
	case CardRemoved:
		return "card_removed"
	}
	return "unknown"
}

// Event is one change on the reader.
type Event struct {
	Kind EventKind
	Card *Card // CardPlaced
	Err  error // ReaderGone, CardRefused
}

// WatchOptions tune Watch. The zero value is usable.
type WatchOptions struct {
	// Interval between polls (default 300 ms).
	Interval time.Duration
	// RemoveAfter is how many polls in a row must find no card before a
	// card counts as removed (default 3), so a card lifted for a moment or
	// a missed answer does not end a check.
	RemoveAfter int
	// Reopen is the wait between attempts to open a gone reader (default 2 s).
	Reopen time.Duration
	// ReadFailures is how many failed reads of a card in a row (not
	// refusals: broken frames, a card moved mid-read) make it refused
	// (default 3).
	ReadFailures int
	// Decoder, when configured, decodes a placed card's WLT photo into
	// Card.Portrait before the card is announced; a failure is logged and
	// the card announced with its WLT photo only.
	Decoder DecoderConfig
	// Logf, when set, gets a line for each fault.
	Logf func(format string, args ...any)
}

func (o WatchOptions) withDefaults() WatchOptions {
	if o.Interval <= 0 {
		o.Interval = 300 * time.Millisecond
	}
	if o.RemoveAfter <= 0 {
		o.RemoveAfter = 3
	}
	if o.Reopen <= 0 {
		o.Reopen = 2 * time.Second
	}
	if o.ReadFailures <= 0 {
		o.ReadFailures = 3
	}
	return o
}

// Watch opens a reader and polls it until ctx ends, sending what happens on
// the returned channel, which it closes when it stops. A card left on the
// reader is announced once; it is removed after RemoveAfter polls without
// it. A reader that fails is closed, announced gone and opened again every
// Reopen. The caller must keep receiving until the channel closes (or
// cancel ctx).
func Watch(ctx context.Context, open Opener, opts WatchOptions) <-chan Event {
	ch := make(chan Event)
	go func() {
		defer close(ch)
		w := &watcher{ctx: ctx, open: open, opts: opts.withDefaults(), ch: ch}
		w.run()
	}()
	return ch
}

type watcher struct {
	ctx  context.Context
	open Opener
	opts WatchOptions
	ch   chan<- Event

	r        Reader
	present  bool // a card was announced (placed or refused)
	misses   int  // polls in a row without the announced card
	failures int  // failed reads in a row of an unannounced card
	gone     bool // ReaderGone was sent and the reader is not back
}

func (w *watcher) logf(format string, args ...any) {
	if w.opts.Logf != nil {
		w.opts.Logf(format, args...)
	}
}

func (w *watcher) send(e Event) bool {
	select {
	case w.ch <- e:
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *watcher) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *watcher) run() {
	defer func() {
		if w.r != nil {
			w.r.Close()
		}
	}()
	for w.ctx.Err() == nil {
		if w.r == nil {
			if !w.connect() {
				return
			}
			continue
		}
		if !w.poll() || !w.sleep(w.opts.Interval) {
			return
		}
	}
}

// connect opens the reader, announcing it ready, or waits Reopen.
func (w *watcher) connect() bool {
	r, err := w.open(w.ctx)
	if err != nil {
		if w.ctx.Err() != nil {
			return false
		}
		if !w.gone {
			w.gone = true
			if !w.send(Event{Kind: ReaderGone, Err: err}) {
				return false
			}
		}
		w.logf("idcard: open reader: %v", err)
		return w.sleep(w.opts.Reopen)
	}
	w.r, w.gone = r, false
	w.present, w.misses, w.failures = false, 0, 0
	return w.send(Event{Kind: ReaderReady})
}

// lost closes a reader that failed and announces it gone.
func (w *watcher) lost(err error) bool {
	w.logf("idcard: reader gone: %v", err)
	w.r.Close()
	w.r, w.gone, w.present = nil, true, false
	return w.send(Event{Kind: ReaderGone, Err: err})
}

// poll looks at the reader once; false when ctx ended.
func (w *watcher) poll() bool {
	there, err := w.r.Poll(w.ctx)
	if w.ctx.Err() != nil {
		return false
	}
	if err != nil {
		if CodeOf(err) == CodeNoReader {
			return w.lost(err)
		}
		w.logf("idcard: poll: %v", err)
		there = false // a garbled answer counts as a miss
	}
	if w.present {
		if there {
			w.misses = 0
			return true
		}
		w.misses++
		if w.misses < w.opts.RemoveAfter {
			return true
		}
		w.present, w.misses = false, 0
		return w.send(Event{Kind: CardRemoved})
	}
	if !there {
		w.failures = 0
		return true
	}
	c, err := w.r.Read(w.ctx)
	if w.ctx.Err() != nil {
		return false
	}
	switch code := CodeOf(err); {
	case err == nil:
		w.present, w.misses, w.failures = true, 0, 0
		if derr := w.opts.Decoder.DecodePhoto(w.ctx, c); derr != nil {
			w.logf("idcard: %v", derr)
		}
		return w.send(Event{Kind: CardPlaced, Card: c})
	case code == CodeNoReader:
		return w.lost(err)
	case code == CodeNoCard:
		w.failures = 0 // taken away mid-read
		return true
	case code == CodeBadCard:
	default:
		w.failures++
		w.logf("idcard: read card: %v", err)
		if w.failures < w.opts.ReadFailures {
			return true
		}
	}
	w.present, w.misses, w.failures = true, 0, 0
	return w.send(Event{Kind: CardRefused, Err: err})
}
