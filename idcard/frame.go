package idcard

import (
	"bytes"
	"errors"
	"fmt"
)

// The SAM serial protocol (GA 467): every frame, both ways, is
//
//	AA AA AA 96 69 | LEN (2 bytes, big-endian) | BODY | CHK
//
// where LEN counts BODY and CHK, and CHK is the XOR of the LEN bytes and
// BODY. A command's BODY is CMD, PARA and optional data; an answer's BODY is
// SW1 SW2 SW3 (SW3 is the reader's own status) and data.

// Preamble starts every frame: three bytes of frame sync, then 96 69.
var Preamble = []byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

const (
	headerLen = 7 // preamble and length
	// MaxFrameLen bounds the length field. The largest answer a reader
	// gives (text, photo and fingerprints) has a length of 2314.
	MaxFrameLen = 4096
	// shortFrameLen bounds the length field of answers other than a card
	// read, so a stray preamble in line noise is not waited on for long.
	shortFrameLen = 64
)

// Frame parsing failures. ErrIncomplete is not one: it asks for more bytes.
var (
	ErrIncomplete = errors.New("incomplete frame")
	ErrChecksum   = errors.New("frame checksum mismatch")
	ErrLength     = errors.New("frame length out of range")
)

// Commands of the SAM protocol used here (CMD, PARA).
var (
	CmdReset   = [2]byte{0x10, 0xFF} // reset the SAM
	CmdStatus  = [2]byte{0x11, 0xFF} // SAM self-check
	CmdSAMID   = [2]byte{0x12, 0xFF} // read the SAM's serial number
	CmdFind    = [2]byte{0x20, 0x01} // find a card (anticollision)
	CmdSelect  = [2]byte{0x20, 0x02} // select the card found
	CmdReadAll = [2]byte{0x30, 0x01} // read text and photo
)

// Status is SW1 SW2 SW3 of an answer.
type Status [3]byte

// Statuses (SW1 SW2 SW3) of the protocol. SW3 alone tells them apart; SW1
// and SW2 are passed through from the card and may be non-zero.
const (
	SWSuccess    = 0x90 // done
	SWFound      = 0x9F // find: a card is there (data: 4 bytes)
	SWNoCard     = 0x80 // find: no card
	SWSelectFail = 0x81 // select: failed (card gone)
	SWNoContent  = 0x91 // the card has nothing for this item
	SWChecksum   = 0x10 // reader: the command's checksum was wrong
	SWLength     = 0x11 // reader: the command's length was wrong
	SWCommand    = 0x21 // reader: command or parameter wrong
	SWUnauthCmd  = 0x23 // reader: command not allowed now
	SWUnknown    = 0x24 // reader: error it cannot name
	SWCardAuth   = 0x31 // card failed to authenticate the reader
	SWReaderAuth = 0x32 // reader failed to authenticate the card
	SWVerify     = 0x33 // information verification failed
	SWWrongCard  = 0x40 // not an identity card
	SWReadFail   = 0x41 // reading the card failed
	SWRandomFail = 0x47 // getting a random number failed
	SWSelfTest   = 0x60 // reader self-test failed
	SWUnlicensed = 0x66 // reader not authorised
)

// SW3 returns the reader's status code.
func (s Status) SW3() byte { return s[2] }

func (s Status) String() string { return fmt.Sprintf("%02X %02X %02X", s[0], s[1], s[2]) }

// EncodeCommand builds a command frame.
func EncodeCommand(cmd [2]byte, data []byte) []byte {
	return encode(append(cmd[:], data...))
}

// EncodeAnswer builds an answer frame.
func EncodeAnswer(st Status, data []byte) []byte {
	return encode(append(st[:], data...))
}

// encode frames body: preamble, length, body, checksum.
func encode(body []byte) []byte {
	n := len(body) + 1
	out := make([]byte, 0, headerLen+n)
	out = append(out, Preamble...)
	out = append(out, byte(n>>8), byte(n))
	out = append(out, body...)
	return append(out, xor(out[len(Preamble):]))
}

func xor(b []byte) byte {
	var c byte
	for _, x := range b {
		c ^= x
	}
	return c
}

// Scan looks for the first frame in buf. It returns the frame's body
// (between the length and the checksum, aliasing buf), the number of bytes
// of buf used up, and:
//
//   - nil: body is a whole frame with a good checksum;
//   - ErrIncomplete: more bytes are needed (n bytes of garbage before a
//     possible preamble may already be dropped);
//   - ErrChecksum: a whole frame failed its checksum and is dropped;
//   - ErrLength: a preamble with a length outside 3..maxLen is skipped.
//
// Bytes before the preamble are skipped, so line noise and bytes split
// across reads are fine: append what arrives and call Scan again after
// dropping n bytes.
func Scan(buf []byte, maxLen int) (body []byte, n int, err error) {
	if maxLen <= 0 || maxLen > MaxFrameLen {
		maxLen = MaxFrameLen
	}
	i := bytes.Index(buf, Preamble)
	if i < 0 {
		// Keep a tail that may be the start of a preamble.
		keep := len(Preamble) - 1
		for keep > 0 && !bytes.HasPrefix(Preamble, buf[max(0, len(buf)-keep):]) {
			keep--
		}
		return nil, max(0, len(buf)-keep), ErrIncomplete
	}
	if len(buf) < i+headerLen {
		return nil, i, ErrIncomplete
	}
	l := int(buf[i+5])<<8 | int(buf[i+6])
	if l < 3 || l > maxLen {
		return nil, i + len(Preamble), ErrLength
	}
	end := i + headerLen + l
	if len(buf) < end {
		return nil, i, ErrIncomplete
	}
	if xor(buf[i+len(Preamble):end-1]) != buf[end-1] {
		return nil, end, ErrChecksum
	}
	return buf[i+headerLen : end-1], end, nil
}

// parseAnswer splits an answer's body into status and data.
func parseAnswer(body []byte) (Status, []byte, error) {
	if len(body) < 3 {
		return Status{}, nil, fmt.Errorf("answer of %d bytes has no status: %w", len(body), ErrLength)
	}
	return Status{body[0], body[1], body[2]}, body[3:], nil
}
