package idcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Port is the byte stream to a reader: a serial device, a pseudo-terminal
// or an in-process simulator. SetReadDeadline must make a pending Read
// return os.ErrDeadlineExceeded.
type Port interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// Options tune a Device. The zero value is usable.
type Options struct {
	// CommandTimeout bounds the wait for the answer to find and select
	// (default 1 s); ReadTimeout the wait for a card's text and photo,
	// which real readers take most of a second to send (default 3 s).
	CommandTimeout, ReadTimeout time.Duration
	// Retries is how many times a command is sent again after an answer
	// that fails its checksum, a reader that says it received the command
	// badly, or no answer in time (default 2; negative for none).
	Retries int
	// Logf, when set, gets one line per retry and fault (identity
	// numbers masked).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 3 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 2
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	return o
}

// Device speaks the SAM protocol to a reader over a Port. It is a Reader;
// its methods are safe for concurrent use (commands are serialised).
type Device struct {
	mu   sync.Mutex
	port Port
	opts Options
	buf  []byte
	rbuf []byte
	gone error // set once the port failed: the reader is gone
}

// NewDevice speaks to a reader over p.
func NewDevice(p Port, opts Options) *Device {
	return &Device{port: p, opts: opts.withDefaults(), rbuf: make([]byte, 2048)}
}

// Close closes the port.
func (d *Device) Close() error {
	if err := d.port.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("idcard: close reader: %w", err)
	}
	return nil
}

func (d *Device) logf(format string, args ...any) {
	if d.opts.Logf != nil {
		d.opts.Logf(format, args...)
	}
}

// Poll sends find card; when the reader says no card, it tries select,
// since some readers no longer find a card that was read and is still
// lying there.
func (d *Device) Poll(ctx context.Context) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	found, err := d.find(ctx)
	if err != nil || found {
		return found, err
	}
	err = d.selectCard(ctx)
	if CodeOf(err) == CodeNoCard {
		return false, nil
	}
	return err == nil, err
}

// Read finds, selects and reads the card. The reader must find a card
// first: the protocol asks for find before select, and a reader that
// selects without one must not make up a card.
func (d *Device) Read(ctx context.Context) (*Card, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	found, err := d.find(ctx)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, newError(CodeNoCard, msgNoCard, nil, "find card: none")
	}
	if err := d.selectCard(ctx); err != nil {
		return nil, err
	}
	st, data, err := d.transact(ctx, CmdReadAll, MaxFrameLen, d.opts.ReadTimeout)
	if err != nil {
		return nil, fmt.Errorf("read card: %w", err)
	}
	if st.SW3() != SWSuccess {
		return nil, statusError("read card", st)
	}
	if len(data) < 4 {
		return nil, newError(CodeBadFrame, msgBadFrame, nil, "read card: answer of %d data bytes has no lengths", len(data))
	}
	tl, pl := int(data[0])<<8|int(data[1]), int(data[2])<<8|int(data[3])
	if 4+tl+pl > len(data) {
		return nil, newError(CodeBadFrame, msgBadFrame, nil, "read card: text %d and photo %d bytes, answer has %d", tl, pl, len(data)-4)
	}
	c, err := ParseCard(data[4:4+tl], data[4+tl:4+tl+pl])
	if err != nil {
		return nil, fmt.Errorf("read card: %w", err)
	}
	return c, nil
}

func (d *Device) find(ctx context.Context) (bool, error) {
	st, _, err := d.transact(ctx, CmdFind, shortFrameLen, d.opts.CommandTimeout)
	if err != nil {
		return false, fmt.Errorf("find card: %w", err)
	}
	switch st.SW3() {
	case SWFound, SWSuccess:
		return true, nil
	case SWNoCard:
		return false, nil
	}
	return false, statusError("find card", st)
}

func (d *Device) selectCard(ctx context.Context) error {
	st, _, err := d.transact(ctx, CmdSelect, shortFrameLen, d.opts.CommandTimeout)
	if err != nil {
		return fmt.Errorf("select card: %w", err)
	}
	if st.SW3() != SWSuccess {
		return statusError("select card", st)
	}
	return nil
}

// statusError turns a reader's status into an *Error.
func statusError(op string, st Status) error {
	switch st.SW3() {
	case SWNoCard, SWSelectFail:
		return newError(CodeNoCard, msgNoCard, nil, "%s: status %s", op, st)
	case SWSelfTest, SWUnlicensed:
		return newError(CodeNoReader, msgReaderAuth, nil, "%s: status %s", op, st)
	case SWChecksum, SWLength, SWCommand, SWUnauthCmd, SWUnknown:
		return newError(CodeBadFrame, msgBadFrame, nil, "%s: reader received the command badly, status %s", op, st)
	case SWCardAuth, SWReaderAuth, SWVerify, SWWrongCard, SWReadFail, SWRandomFail, SWNoContent:
		return newError(CodeBadCard, "读卡失败：证件无法通过阅读器验证，请重新放置身份证；仍不行请人工核对证件", nil, "%s: status %s", op, st)
	}
	return newError(CodeBadFrame, msgBadFrame, nil, "%s: unexpected status %s", op, st)
}

// retryStatus reports whether the reader asks for the command again.
func retryStatus(st Status) bool {
	switch st.SW3() {
	case SWChecksum, SWLength, SWCommand, SWUnauthCmd, SWUnknown:
		return true
	}
	return false
}

// errTimeout is a command left unanswered.
var errTimeout = errors.New("no answer in time")

// transact sends a command and waits for its answer, sending it again
// after a bad frame, a retry status or a timeout. maxLen bounds the answer's
// length field.
func (d *Device) transact(ctx context.Context, cmd [2]byte, maxLen int, timeout time.Duration) (Status, []byte, error) {
	if d.gone != nil {
		return Status{}, nil, newError(CodeNoReader, msgNoReader, d.gone, "reader gone")
	}
	frame := EncodeCommand(cmd, nil)
	var last error
	for attempt := 0; attempt <= d.opts.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			break
		}
		if attempt > 0 {
			d.logf("idcard: command %02X %02X again (%d of %d): %v", cmd[0], cmd[1], attempt, d.opts.Retries, last)
			d.drain(ctx)
		}
		d.buf = d.buf[:0] // anything before the command is stale
		if _, err := d.port.Write(frame); err != nil {
			d.gone = err
			return Status{}, nil, newError(CodeNoReader, msgNoReader, err, "send command %02X %02X", cmd[0], cmd[1])
		}
		body, err := d.await(ctx, maxLen, timeout)
		switch {
		case err == nil:
			st, data, perr := parseAnswer(body)
			if perr != nil {
				last = newError(CodeBadFrame, msgBadFrame, perr, "answer to %02X %02X", cmd[0], cmd[1])
				continue
			}
			if retryStatus(st) {
				last = statusError(fmt.Sprintf("command %02X %02X", cmd[0], cmd[1]), st)
				continue
			}
			return st, data, nil
		case errors.Is(err, ErrChecksum) || errors.Is(err, ErrLength):
			last = newError(CodeBadFrame, msgBadFrame, err, "answer to %02X %02X", cmd[0], cmd[1])
		case errors.Is(err, errTimeout):
			if last == nil || CodeOf(last) == CodeNoReader {
				last = newError(CodeNoReader, msgNoReader, err, "answer to %02X %02X", cmd[0], cmd[1])
			}
		case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
			// The deadline or a cancel: stop, reporting what went wrong
			// before if anything did.
			return Status{}, nil, ctxError(ctx, cmd, last)
		default:
			d.gone = err
			return Status{}, nil, newError(CodeNoReader, msgNoReader, err, "read answer to %02X %02X", cmd[0], cmd[1])
		}
	}
	if last != nil {
		return Status{}, nil, last
	}
	return Status{}, nil, ctxError(ctx, cmd, nil)
}

// ctxError is the failure of a command cut short by its context: what
// went wrong before, else no_reader for a deadline (the reader did not
// answer in time), else the cancel.
func ctxError(ctx context.Context, cmd [2]byte, last error) error {
	switch {
	case last != nil:
		return last
	case errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("idcard: command %02X %02X: %w", cmd[0], cmd[1], ctx.Err())
	}
	return newError(CodeNoReader, msgNoReader, context.DeadlineExceeded, "no answer to %02X %02X in time", cmd[0], cmd[1])
}

// await reads until a whole frame, a bad one, a timeout or a port failure.
// Partial reads, frames split across reads and bytes before the preamble
// are all fine; so is a stray preamble in the noise, whose length would
// swallow the real answer: a good frame that starts later wins.
func (d *Device) await(ctx context.Context, maxLen int, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := d.port.SetReadDeadline(deadline); err != nil {
		return nil, fmt.Errorf("set read deadline: %w", err)
	}
	// A cancel wakes the pending read.
	stop := context.AfterFunc(ctx, func() { d.port.SetReadDeadline(time.Now()) })
	defer stop()
	received := false
	for {
		body, n, err := Scan(d.buf, maxLen)
		if errors.Is(err, ErrIncomplete) || errors.Is(err, ErrChecksum) {
			if b, m, ok := scanAhead(d.buf, maxLen); ok {
				body, n, err = b, m, nil
			}
		}
		if err == nil || errors.Is(err, ErrChecksum) {
			out := append([]byte(nil), body...)
			d.buf = d.buf[:copy(d.buf, d.buf[n:])]
			return out, err
		}
		d.buf = d.buf[:copy(d.buf, d.buf[n:])]
		if errors.Is(err, ErrLength) {
			d.logf("idcard: skipped a preamble with a bad length")
			continue
		}
		k, rerr := d.port.Read(d.rbuf)
		d.buf = append(d.buf, d.rbuf[:k]...)
		received = received || k > 0
		switch {
		case rerr == nil && k == 0:
			return nil, io.ErrUnexpectedEOF // a hung-up terminal reads nothing
		case rerr == nil:
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
				return nil, context.DeadlineExceeded // its timer has yet to fire
			}
			if received {
				// The reader is there but said nothing that parses.
				return nil, fmt.Errorf("%w: %d bytes without a whole frame", ErrLength, len(d.buf))
			}
			return nil, errTimeout
		default:
			return nil, rerr
		}
	}
}

// scanAhead looks for a good frame starting at a later preamble than the
// first one in buf. It returns the body and the bytes used up to its end.
func scanAhead(buf []byte, maxLen int) ([]byte, int, bool) {
	i := bytes.Index(buf, Preamble)
	if i < 0 {
		return nil, 0, false
	}
	for j := i + 1; j < len(buf); j++ {
		k := bytes.Index(buf[j:], Preamble)
		if k < 0 {
			return nil, 0, false
		}
		j += k
		if body, n, err := Scan(buf[j:], maxLen); err == nil {
			return body, j + n, true
		}
	}
	return nil, 0, false
}

// drain drops what the reader still sends after a fault (a late or broken
// answer), so it is not taken for the answer to the next command.
func (d *Device) drain(ctx context.Context) {
	d.buf = d.buf[:0]
	for ctx.Err() == nil {
		if err := d.port.SetReadDeadline(time.Now().Add(30 * time.Millisecond)); err != nil {
			return
		}
		if k, err := d.port.Read(d.rbuf); err != nil || k == 0 {
			return
		}
	}
}
