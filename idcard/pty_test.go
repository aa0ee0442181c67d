package idcard

import (
	"context"
	"testing"
	"time"
)

// The simulator on a real pseudo-terminal: answers split into small pieces
// with line noise before them, a bad checksum, then unplugging.
func TestPTYEndToEnd(t *testing.T) {
	card := goldenCard(t)
	s := newSim(t, card)
	s.SetFaults(Faults{Split: 7, Garbage: []byte{0x00, 0xAA, 0x13, 0x11, 0x0D, 0x0A}, BadChecksum: 1})
	p, err := s.ServePTY(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d, err := OpenDevice(p.Path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Read(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON(now2026) != card.JSON(now2026) || string(got.Photo) != string(card.Photo) {
		t.Fatalf("read %+v", got.JSON(now2026))
	}
	if ok, err := d.Poll(ctxFor(t, time.Second)); !ok || err != nil {
		t.Fatalf("Poll with the card left on: %v %v", ok, err)
	}
	s.Remove()
	if ok, err := d.Poll(ctxFor(t, time.Second)); ok || err != nil {
		t.Fatalf("Poll after removal: %v %v", ok, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(ctxFor(t, 2*time.Second)); CodeOf(err) != CodeNoReader {
		t.Fatalf("after unplugging: %v", err)
	}
	if _, err := OpenDevice(p.Path, Options{}); CodeOf(err) != CodeNoReader {
		t.Fatalf("open a gone pty: %v", err)
	}
}

func TestOpenDeviceNotATerminal(t *testing.T) {
	if _, err := OpenDevice("/dev/null", Options{}); CodeOf(err) != CodeNoReader {
		t.Fatalf("/dev/null: %v", err)
	}
	if _, err := OpenDevice("/nonexistent/ttyUSB9", Options{}); CodeOf(err) != CodeNoReader {
		t.Fatalf("missing: %v", err)
	}
}
