package idcard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders may write GIF
	_ "image/jpeg" // or JPEG
	_ "image/png"  // or PNG
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "golang.org/x/image/bmp" // vendors' decoders mostly write BMP
)

// Photo states, as `kioskctl idcard read --json` reports them.
const (
	PhotoNone    = "none"    // the card gave no photo
	PhotoWLT     = "wlt"     // the encrypted WLT photo only
	PhotoDecoded = "decoded" // decoded to an image by the configured decoder
)

// DecoderConfig is a supervisor's WLT photo decoder: an external program,
// usually a wrapper around the decoding library that comes with each
// reader (WLT is encrypted; the key is the vendor's). It runs without a
// shell, with a time limit and a bound on what it writes; its image is
// checked (format and size) before it is decoded.
type DecoderConfig struct {
	// Path is the program, an absolute path. Empty: no decoder.
	Path string
	// Args are its arguments. "{in}" is replaced by the path of a file
	// holding the WLT photo (mode 0600, in a private temporary directory
	// removed afterwards); without it the photo is on standard input.
	// "{out}" is replaced by the path of a file for the program to write
	// the image to; without it the image is read from standard output.
	Args []string
	// Env is added to the program's environment, which is otherwise only
	// PATH=/usr/bin:/bin (e.g. LD_LIBRARY_PATH=/opt/vendor/lib).
	Env []string
	// Timeout bounds the run (default 5 s); MaxOutput the image's bytes
	// (default 4 MiB); MaxWidth and MaxHeight its size (default 2000).
	Timeout             time.Duration
	MaxOutput           int64
	MaxWidth, MaxHeight int
}

// Enabled reports whether a decoder is configured.
func (c DecoderConfig) Enabled() bool { return c.Path != "" }

func (c DecoderConfig) withDefaults() DecoderConfig {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.MaxOutput <= 0 {
		c.MaxOutput = 4 << 20
	}
	if c.MaxWidth <= 0 {
		c.MaxWidth = 2000
	}
	if c.MaxHeight <= 0 {
		c.MaxHeight = 2000
	}
	return c
}

// errTooLarge is output past MaxOutput.
var errTooLarge = errors.New("decoder output too large")

// Decode runs the decoder on a WLT photo and returns the image.
func (c DecoderConfig) Decode(ctx context.Context, wlt []byte) (image.Image, error) {
	c = c.withDefaults()
	if !filepath.IsAbs(c.Path) {
		return nil, fmt.Errorf("wlt decoder %q: want an absolute path", c.Path)
	}
	if len(wlt) == 0 {
		return nil, errors.New("wlt decoder: no photo to decode")
	}
	dir, err := os.MkdirTemp("", "certkiosk-wlt-")
	if err != nil {
		return nil, fmt.Errorf("wlt decoder: temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "photo.wlt"), filepath.Join(dir, "photo.img")
	args := make([]string, len(c.Args))
	useIn, useOut := false, false
	for i, a := range c.Args {
		useIn = useIn || strings.Contains(a, "{in}")
		useOut = useOut || strings.Contains(a, "{out}")
		args[i] = strings.NewReplacer("{in}", in, "{out}", out).Replace(a)
	}
	if useIn {
		if err := writePrivate(in, wlt); err != nil {
			return nil, fmt.Errorf("wlt decoder: %w", err)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, c.Env...)
	// Its own process group, killed whole on timeout; pipes closed soon
	// after even if a child of it still holds them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if !useIn {
		cmd.Stdin = bytes.NewReader(wlt)
	}
	stdout := &boundedBuffer{max: c.MaxOutput}
	stderr := &boundedBuffer{max: 2048, truncate: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("wlt decoder %s: no result within %v: %w", filepath.Base(c.Path), c.Timeout, ctx.Err())
	case stdout.over:
		return nil, fmt.Errorf("wlt decoder %s: %w (limit %d bytes)", filepath.Base(c.Path), errTooLarge, c.MaxOutput)
	case runErr != nil:
		return nil, fmt.Errorf("wlt decoder %s: %w: %s", filepath.Base(c.Path), runErr, strings.TrimSpace(stderr.String()))
	}
	data := stdout.Bytes()
	if useOut {
		if data, err = readBounded(out, c.MaxOutput); err != nil {
			return nil, fmt.Errorf("wlt decoder %s: %w", filepath.Base(c.Path), err)
		}
	}
	img, err := decodeBounded(data, c.MaxWidth, c.MaxHeight)
	if err != nil {
		return nil, fmt.Errorf("wlt decoder %s: %w", filepath.Base(c.Path), err)
	}
	return img, nil
}

// DecodePhoto decodes the card's WLT photo into Card.Portrait when a
// decoder is configured; a failure leaves the card as read.
func (c DecoderConfig) DecodePhoto(ctx context.Context, card *Card) error {
	if !c.Enabled() || card == nil || len(card.Photo) == 0 {
		return nil
	}
	img, err := c.Decode(ctx, card.Photo)
	if err != nil {
		return fmt.Errorf("card %s photo: %w", card.ID.Masked(), err)
	}
	card.Portrait = img
	return nil
}

// decodeBounded checks the image's format and size from its header before
// decoding it, so a hostile or broken decoder cannot make us allocate a
// huge bitmap.
func decodeBounded(data []byte, maxW, maxH int) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("output is not an image (%d bytes): %w", len(data), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxW || cfg.Height > maxH {
		return nil, fmt.Errorf("%s image of %d×%d, want at most %d×%d", format, cfg.Width, cfg.Height, maxW, maxH)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode %s image: %w", format, err)
	}
	return img, nil
}

func writePrivate(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write photo: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write photo: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write photo: %w", err)
	}
	return nil
}

func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read image: %w (limit %d bytes)", errTooLarge, max)
	}
	return b, nil
}

// boundedBuffer keeps at most max bytes. Past that it fails the write (the
// program gets a broken pipe) or, with truncate, drops the rest quietly.
// It must not embed bytes.Buffer: io.Copy would use its ReadFrom and
// bypass the bound.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int64
	over     bool
	truncate bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	room := b.max - int64(b.buf.Len())
	if int64(len(p)) > room {
		b.buf.Write(p[:max(room, 0)])
		if b.truncate {
			return len(p), nil
		}
		b.over = true
		return 0, errTooLarge
	}
	return b.buf.Write(p)
}

func (b *boundedBuffer) Bytes() []byte  { return b.buf.Bytes() }
func (b *boundedBuffer) String() string { return b.buf.String() }
