package idcard

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a decoder: IDCARD_TEST_DECODER names what it
// does (see helperDecoder).
func TestMain(m *testing.M) {
	if mode := os.Getenv("IDCARD_TEST_DECODER"); mode != "" {
		os.Exit(helperDecoder(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helperDecoder(mode string, args []string) int {
	var wlt []byte
	var err error
	in, out := "", ""
	for _, a := range args {
		switch {
		case strings.HasSuffix(a, ".wlt"):
			in = strings.TrimPrefix(a, "--in=")
		case strings.HasSuffix(a, ".img"):
			out = a
		}
	}
	if in != "" {
		st, serr := os.Stat(in)
		if serr != nil || st.Mode().Perm() != 0o600 {
			fmt.Fprintf(os.Stderr, "input file %v %v", st.Mode(), serr)
			return 3
		}
		wlt, err = os.ReadFile(in)
	} else {
		wlt, err = io.ReadAll(os.Stdin)
	}
	if err != nil || !bytes.HasPrefix(wlt, []byte("WLf")) {
		fmt.Fprintln(os.Stderr, "not a WLT photo")
		return 2
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 102, 126)))
	switch mode {
	case "png":
	case "huge": // a PNG header claiming 100000×100000
		b := img.Bytes()
		binary.BigEndian.PutUint32(b[16:], 100000)
		binary.BigEndian.PutUint32(b[20:], 100000)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	case "garbage":
		img.Reset()
		img.WriteString("this is not an image")
	case "flood":
		for {
			if _, err := os.Stdout.Write(make([]byte, 1<<16)); err != nil {
				return 4
			}
		}
	case "sleep":
		time.Sleep(30 * time.Second)
	case "fail":
		fmt.Fprintln(os.Stderr, "licence not found")
		return 1
	}
	if out != "" {
		os.WriteFile(out, img.Bytes(), 0o600)
		return 0
	}
	os.Stdout.Write(img.Bytes())
	return 0
}

func TestDecoder(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wlt := stubWLT("x")
	for _, c := range []struct {
		mode    string
		args    []string
		wantErr string
	}{
		{mode: "png"},
		{mode: "png", args: []string{"{in}"}},
		{mode: "png", args: []string{"--in={in}", "{out}"}},
		{mode: "huge", wantErr: "100000×100000"},
		{mode: "garbage", wantErr: "not an image"},
		{mode: "flood", wantErr: "too large"},
		{mode: "sleep", wantErr: "no result within"},
		{mode: "fail", wantErr: "licence not found"},
	} {
		t.Run(c.mode+strings.Join(c.args, ","), func(t *testing.T) {
			dc := DecoderConfig{Path: self, Args: c.args, Env: []string{"IDCARD_TEST_DECODER=" + c.mode},
				Timeout: 2 * time.Second, MaxOutput: 1 << 20}
			start := time.Now()
			img, err := dc.Decode(context.Background(), wlt)
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || img.Bounds().Dx() != 102 || img.Bounds().Dy() != 126 {
				t.Fatalf("%v %v", img, err)
			}
		})
	}
	card := goldenCard(t)
	dc := DecoderConfig{Path: self, Env: []string{"IDCARD_TEST_DECODER=png"}}
	if err := dc.DecodePhoto(context.Background(), card); err != nil || card.PhotoState() != PhotoDecoded {
		t.Fatalf("DecodePhoto: %v %s", err, card.PhotoState())
	}
	if _, err := (DecoderConfig{Path: "decoder"}).Decode(context.Background(), wlt); err == nil {
		t.Error("a relative decoder path ran")
	}
}

// Watch decodes a placed card's photo before announcing it.
func TestWatchDecodes(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t, goldenCard(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := Watch(ctx, s.Opener(fast), WatchOptions{Interval: 20 * time.Millisecond,
		Decoder: DecoderConfig{Path: self, Env: []string{"IDCARD_TEST_DECODER=png"}}})
	if e := next(t, ch); e.Kind != ReaderReady {
		t.Fatal(e.Kind)
	}
	if e := next(t, ch); e.Kind != CardPlaced || e.Card.PhotoState() != PhotoDecoded {
		t.Fatalf("%v %v", e.Kind, e.Err)
	}
	cancel()
	for range ch {
	}
}
