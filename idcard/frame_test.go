package idcard

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"certkiosk/internal/fuzzseed"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata/golden")

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The frames of the public protocol description, byte for byte.
func TestGoldenCommandsAndAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []byte
		want string
	}{
		{"find", EncodeCommand(CmdFind, nil), "AA AA AA 96 69 00 03 20 01 22"},
		{"select", EncodeCommand(CmdSelect, nil), "AA AA AA 96 69 00 03 20 02 21"},
		{"read", EncodeCommand(CmdReadAll, nil), "AA AA AA 96 69 00 03 30 01 32"},
		{"reset", EncodeCommand(CmdReset, nil), "AA AA AA 96 69 00 03 10 FF EC"},
		{"found", EncodeAnswer(Status{0, 0, SWFound}, make([]byte, 4)), "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"},
		{"selected", EncodeAnswer(Status{0, 0, SWSuccess}, make([]byte, 8)), "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"},
		{"no card", EncodeAnswer(Status{0, 0, SWNoCard}, nil), "AA AA AA 96 69 00 04 00 00 80 84"},
		{"read failed", EncodeAnswer(Status{0, 0, SWReadFail}, nil), "AA AA AA 96 69 00 04 00 00 41 45"},
		{"sam auth", EncodeAnswer(Status{0, 0, SWReaderAuth}, nil), "AA AA AA 96 69 00 04 00 00 32 36"},
	} {
		if want := unhex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s: % X, want % X", c.name, c.got, want)
		}
		body, n, err := Scan(c.got, 0)
		if err != nil || n != len(c.got) || !bytes.Equal(encode(body), c.got) {
			t.Errorf("%s: Scan = % X, %d, %v", c.name, body, n, err)
		}
	}
}

// The text of the public sample: the name 王美娜 in UCS-2 LE, space-padded.
func TestGoldenTextName(t *testing.T) {
	b, err := goldenCard(t).Text().Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(t, "8B 73 8E 7F 1C 5A"+strings.Repeat(" 20 00", 12)+" 32 00 30 00 31 00")
	if !bytes.HasPrefix(b, want) || len(b) != TextLen {
		t.Fatalf("text starts % X (%d bytes)", b[:len(want)], len(b))
	}
}

// A whole read answer (1295 bytes: length 05 08), checked against the
// golden file written by -update and decoded back field by field.
func TestGoldenReadAnswer(t *testing.T) {
	c := goldenCard(t)
	text, err := c.Text().Encode()
	if err != nil {
		t.Fatal(err)
	}
	data := append([]byte{0x01, 0x00, 0x04, 0x00}, text...)
	data = append(data, c.Photo...)
	frame := EncodeAnswer(Status{0, 0, SWSuccess}, data)
	if len(frame) != 1295 || frame[5] != 0x05 || frame[6] != 0x08 {
		t.Fatalf("read answer of %d bytes, length % X", len(frame), frame[5:7])
	}
	path := filepath.Join("testdata", "golden", "read_answer.hex")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(hexLines(frame)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, strings.ReplaceAll(string(golden), "\n", "")); !bytes.Equal(frame, want) {
		t.Fatalf("read answer differs from %s", path)
	}
	body, n, err := Scan(frame, 0)
	if err != nil || n != len(frame) {
		t.Fatal(n, err)
	}
	st, got, err := parseAnswer(body)
	if err != nil || st != (Status{0, 0, 0x90}) {
		t.Fatal(st, err)
	}
	back, err := ParseCard(got[4:4+TextLen], got[4+TextLen:])
	if err != nil {
		t.Fatal(err)
	}
	if back.JSON(now2026) != c.JSON(now2026) {
		t.Fatalf("decoded %+v\nwant    %+v", back.JSON(now2026), c.JSON(now2026))
	}
}

func hexLines(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		k := min(32, len(b))
		s.WriteString(strings.ToUpper(hex.EncodeToString(b[:k])) + "\n")
		b = b[k:]
	}
	return s.String()
}

func TestScanNoiseAndSplits(t *testing.T) {
	frame := EncodeAnswer(Status{0, 0, SWFound}, []byte{1, 2, 3, 4})
	noisy := append(unhex(t, "00 FF AA AA 96 AA 69 AA AA AA 96"), frame...)
	noisy = append(noisy, frame...)
	// Byte by byte, as a slow line delivers it: both frames, nothing else.
	var buf, bodies []byte
	count := 0
	for _, b := range noisy {
		buf = append(buf, b)
		for {
			body, n, err := Scan(buf, shortFrameLen)
			buf = buf[n:]
			if errors.Is(err, ErrIncomplete) {
				break
			}
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			bodies = append(bodies, body...)
			count++
		}
	}
	if count != 2 || !bytes.Equal(bodies, bytes.Repeat(frame[7:len(frame)-1], 2)) {
		t.Fatalf("%d frames: % X", count, bodies)
	}
}

func TestScanFaults(t *testing.T) {
	good := EncodeCommand(CmdFind, nil)
	bad := append([]byte(nil), good...)
	bad[len(bad)-1] ^= 1
	if _, n, err := Scan(append(bad, good...), 0); !errors.Is(err, ErrChecksum) || n != len(bad) {
		t.Errorf("bad checksum: %d %v", n, err)
	}
	long := unhex(t, "AA AA AA 96 69 1F FF 00")
	if _, n, err := Scan(long, 0); !errors.Is(err, ErrLength) || n != 5 {
		t.Errorf("length 0x1FFF: %d %v", n, err)
	}
	if _, n, err := Scan(unhex(t, "AA AA AA 96 69 00 50 00"), shortFrameLen); !errors.Is(err, ErrLength) || n != 5 {
		t.Errorf("length past maxLen: %d %v", n, err)
	}
	if _, n, err := Scan(unhex(t, "AA AA AA 96 69 00 02 00 02"), 0); !errors.Is(err, ErrLength) || n != 5 {
		t.Errorf("length 2: %d %v", n, err)
	}
	if _, n, err := Scan(unhex(t, "01 02 03 AA AA"), 0); !errors.Is(err, ErrIncomplete) || n != 3 {
		t.Errorf("partial preamble: %d %v", n, err)
	}
	if _, n, err := Scan(good[:9], 0); !errors.Is(err, ErrIncomplete) || n != 0 {
		t.Errorf("partial frame: %d %v", n, err)
	}
}

func scanSeeds() [][]any {
	find := EncodeCommand(CmdFind, nil)
	found := EncodeAnswer(Status{0, 0, SWFound}, make([]byte, 4))
	bad := append([]byte(nil), found...)
	bad[len(bad)-1] ^= 0xFF
	read := EncodeAnswer(Status{0, 0, SWSuccess}, append([]byte{1, 0, 0, 4}, bytes.Repeat([]byte{0x20, 0}, 130)...))
	return [][]any{
		{find},
		{found},
		{append([]byte{0, 0xAA, 0xAA}, found...)},
		{append(bad, found...)},
		{[]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0xFF, 0xFF}},
		{[]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x00, 0x00}},
		{read[:100]},
		{read},
		{append(append([]byte(nil), found...), find...)},
	}
}

// FuzzScan feeds the frame parser arbitrary bytes, whole and split: it
// must never panic, always make progress, give only frames that encode back
// to the bytes they came from, and give the same frames however the bytes
// arrive.
func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := scanAll(t, in, len(in))
		steps := []int{1, 3, 7}
		if len(in) > 512 { // byte by byte is quadratic: keep the fuzzer fast
			steps = []int{7, 61}
		}
		for _, step := range steps {
			if got := scanAll(t, in, step); strings.Join(got, "|") != strings.Join(whole, "|") {
				t.Fatalf("in pieces of %d: %q, whole: %q", step, got, whole)
			}
		}
	})
}

// scanAll scans in as it arrives step bytes at a time and returns the
// frames' bodies and faults.
func scanAll(t *testing.T, in []byte, step int) []string {
	var out []string
	var buf []byte
	for len(in) > 0 || step == 0 {
		k := min(step, len(in))
		buf, in = append(buf, in[:k]...), in[k:]
		for {
			body, n, err := Scan(buf, 0)
			if n < 0 || n > len(buf) {
				t.Fatalf("Scan used %d of %d bytes", n, len(buf))
			}
			if err == nil {
				if !bytes.Equal(encode(body), buf[n-len(body)-headerLen-1:n]) {
					t.Fatalf("frame % X does not encode back", buf[:n])
				}
				out = append(out, hex.EncodeToString(body))
			} else if !errors.Is(err, ErrIncomplete) {
				out = append(out, err.Error())
			}
			buf = buf[n:]
			if errors.Is(err, ErrIncomplete) {
				if n == 0 {
					break
				}
			}
		}
		if len(in) == 0 {
			break
		}
	}
	return out
}

func TestFuzzSeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzScan", scanSeeds()...)
	fuzzseed.Write(t, "FuzzParseCard", cardSeeds(t)...)
}
