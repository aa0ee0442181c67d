package idcard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// Faults make a Simulator misbehave the way real readers and cables do.
type Faults struct {
	BadChecksum int    // corrupt the checksum of this many answers, then stop
	Silent      int    // leave this many commands unanswered, then answer again
	Garbage     []byte // line noise sent before every answer
	Split       int    // on a pty, send answers in pieces of this many bytes
	Truncate    int    // send only this many bytes of each answer (0: all)
	// RemoveAfterReads takes the card away after this many reads of it
	// (0: the card stays).
	RemoveAfterReads int
	// Status, when set, is the reader's status (SW3) for every command:
	// 0x60 a reader that failed its self-test, 0x10 one that hears every
	// command with a bad checksum.
	Status byte
}

// Simulator answers the SAM protocol as a reader with a card on it (or
// none). Use it in-process (Reader, Opener: the kiosk's demo mode) or on a
// pseudo-terminal (ServePTY: tests and `kioskctl idcard simulate`).
type Simulator struct {
	mu        sync.Mutex
	text      []byte // nil: no card on the reader
	photo     []byte
	faults    Faults
	reads     int
	commands  int
	unplugged bool
}

// NewSimulator returns a reader with card on it (nil: no card).
func NewSimulator(card *Card) (*Simulator, error) {
	s := &Simulator{}
	if card != nil {
		if err := s.Place(card); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Place puts a card on the reader.
func (s *Simulator) Place(card *Card) error {
	return s.PlaceText(card.Text(), card.Photo)
}

// PlaceText puts a card with this text and WLT photo (nil: none) on the
// reader. The text is not checked, so tests can place bad cards.
func (s *Simulator) PlaceText(t CardText, photo []byte) error {
	b, err := t.Encode()
	if err != nil {
		return fmt.Errorf("idcard: simulated card: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text, s.photo, s.reads = b, append([]byte(nil), photo...), 0
	return nil
}

// Remove takes the card away.
func (s *Simulator) Remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.text, s.photo = nil, nil
}

// SetFaults replaces the faults to simulate.
func (s *Simulator) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Commands returns how many commands the simulator has received.
func (s *Simulator) Commands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands
}

// Unplug makes the in-process reader gone: its ports fail and Opener
// refuses until Plug.
func (s *Simulator) Unplug() { s.setUnplugged(true) }

// Plug plugs the in-process reader back in.
func (s *Simulator) Plug() { s.setUnplugged(false) }

func (s *Simulator) setUnplugged(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unplugged = v
}

func (s *Simulator) isUnplugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unplugged
}

// Reader returns an in-process reader on the simulator: the real protocol
// code over an in-memory port, no pty needed.
func (s *Simulator) Reader(opts Options) Reader {
	return NewDevice(newMemPort(s), opts)
}

// Opener opens in-process readers on the simulator, for Watch; it fails
// while the simulator is unplugged.
func (s *Simulator) Opener(opts Options) Opener {
	return func(context.Context) (Reader, error) {
		if s.isUnplugged() {
			return nil, newError(CodeNoReader, msgNoReader, nil, "simulated reader unplugged")
		}
		return s.Reader(opts), nil
	}
}

// samID is the simulated SAM's number (12 FF).
var samID = []byte{0x05, 0x00, 0x00, 0x01, 0x20, 0x26, 0x12, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01}

// answer returns the bytes the reader sends for one received frame body
// (nil for none); checksumOK is false for a command that failed its
// checksum.
func (s *Simulator) answer(body []byte, checksumOK bool) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands++
	if s.faults.Silent > 0 {
		s.faults.Silent--
		return nil
	}
	st, data := s.respond(body, checksumOK)
	if s.faults.Status != 0 {
		st, data = Status{0, 0, s.faults.Status}, nil
	}
	frame := EncodeAnswer(st, data)
	if s.faults.BadChecksum > 0 {
		s.faults.BadChecksum--
		frame[len(frame)-1] ^= 0x5A
	}
	if s.faults.Truncate > 0 && s.faults.Truncate < len(frame) {
		frame = frame[:s.faults.Truncate]
	}
	return append(append([]byte(nil), s.faults.Garbage...), frame...)
}

func (s *Simulator) respond(body []byte, checksumOK bool) (Status, []byte) {
	switch {
	case !checksumOK:
		return Status{0, 0, SWChecksum}, nil
	case len(body) < 2:
		return Status{0, 0, SWLength}, nil
	}
	switch [2]byte{body[0], body[1]} {
	case CmdReset, CmdStatus:
		return Status{0, 0, SWSuccess}, nil
	case CmdSAMID:
		return Status{0, 0, SWSuccess}, samID
	case CmdFind:
		if s.text == nil {
			return Status{0, 0, SWNoCard}, nil
		}
		return Status{0, 0, SWFound}, make([]byte, 4)
	case CmdSelect:
		if s.text == nil {
			return Status{0, 0, SWSelectFail}, nil
		}
		return Status{0, 0, SWSuccess}, make([]byte, 8)
	case CmdReadAll:
		if s.text == nil {
			return Status{0, 0, SWReadFail}, nil
		}
		data := []byte{byte(len(s.text) >> 8), byte(len(s.text)), byte(len(s.photo) >> 8), byte(len(s.photo))}
		data = append(append(data, s.text...), s.photo...)
		s.reads++
		if s.faults.RemoveAfterReads > 0 && s.reads >= s.faults.RemoveAfterReads {
			s.text, s.photo = nil, nil
		}
		return Status{0, 0, SWSuccess}, data
	}
	return Status{0, 0, SWCommand}, nil
}

// feed frames the bytes received so far and appends the answers to out.
// It returns the bytes still to frame.
func (s *Simulator) feed(in []byte, out *[]byte) []byte {
	for {
		body, n, err := Scan(in, MaxFrameLen)
		switch {
		case err == nil:
			*out = append(*out, s.answer(body, true)...)
		case errors.Is(err, ErrChecksum):
			*out = append(*out, s.answer(nil, false)...)
		case errors.Is(err, ErrIncomplete):
			return in[:copy(in, in[n:])]
		}
		in = in[:copy(in, in[n:])]
	}
}

// memPort is an in-memory Port to a Simulator.
type memPort struct {
	sim      *Simulator
	mu       sync.Mutex
	in, out  []byte
	deadline time.Time
	closed   bool
	wake     chan struct{}
}

func newMemPort(s *Simulator) *memPort { return &memPort{sim: s, wake: make(chan struct{}, 1)} }

func (p *memPort) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *memPort) Write(b []byte) (int, error) {
	if p.sim.isUnplugged() {
		return 0, &os.PathError{Op: "write", Path: "simulator", Err: syscall.EIO}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, os.ErrClosed
	}
	p.in = p.sim.feed(append(p.in, b...), &p.out)
	p.signal()
	return len(b), nil
}

func (p *memPort) Read(b []byte) (int, error) {
	for {
		if p.sim.isUnplugged() {
			return 0, &os.PathError{Op: "read", Path: "simulator", Err: syscall.EIO}
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return 0, os.ErrClosed
		}
		if len(p.out) > 0 {
			n := copy(b, p.out)
			p.out = p.out[:copy(p.out, p.out[n:])]
			p.mu.Unlock()
			return n, nil
		}
		wait := 50 * time.Millisecond // also notices Unplug
		if !p.deadline.IsZero() {
			left := time.Until(p.deadline)
			if left <= 0 {
				p.mu.Unlock()
				return 0, os.ErrDeadlineExceeded
			}
			wait = min(wait, left)
		}
		p.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-p.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (p *memPort) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	p.deadline = t
	p.mu.Unlock()
	p.signal()
	return nil
}

func (p *memPort) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.signal()
	return nil
}

// PTY is a Simulator served on a pseudo-terminal.
type PTY struct {
	Path string // the device to open as the reader, /dev/pts/N
	stop context.CancelFunc
	done chan struct{}
	err  error
}

// ServePTY answers as the reader on a new pseudo-terminal until ctx ends or
// Close. Closing it is unplugging the reader: the host's reads and writes
// fail.
func (s *Simulator) ServePTY(ctx context.Context) (*PTY, error) {
	master, slave, path, err := openPTY()
	if err != nil {
		return nil, fmt.Errorf("idcard: simulator: %w", err)
	}
	ctx, stop := context.WithCancel(ctx)
	p := &PTY{Path: path, stop: stop, done: make(chan struct{})}
	go func() {
		p.err = s.serve(ctx, master)
		master.Close()
		slave.Close()
		close(p.done)
	}()
	return p, nil
}

// Close unplugs the simulated reader and waits for its goroutine.
func (p *PTY) Close() error {
	p.stop()
	<-p.done
	return p.err
}

// Done is closed when the simulator stops serving; Err then says why (nil
// after Close or the context's end).
func (p *PTY) Done() <-chan struct{} { return p.done }

// Err is the serving goroutine's failure, once Done is closed.
func (p *PTY) Err() error {
	<-p.done
	return p.err
}

func (s *Simulator) serve(ctx context.Context, master *os.File) error {
	stop := context.AfterFunc(ctx, func() { master.SetDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 4096)
	var in []byte
	for {
		n, err := master.Read(buf)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("idcard: simulator: read pty: %w", err)
		}
		var out []byte
		in = s.feed(append(in, buf[:n]...), &out)
		if err := s.write(master, out); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("idcard: simulator: write pty: %w", err)
		}
	}
}

func (s *Simulator) write(w *os.File, out []byte) error {
	s.mu.Lock()
	split := s.faults.Split
	s.mu.Unlock()
	if split <= 0 {
		split = len(out)
	}
	for len(out) > 0 {
		k := min(split, len(out))
		if _, err := w.Write(out[:k]); err != nil {
			return err
		}
		out = out[k:]
		if len(out) > 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	return nil
}
