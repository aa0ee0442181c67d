package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"strconv"
	"strings"
	"time"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/idcard"
)

// cmdIdcard is the idcard command on the real clock; tests build their own
// with idcardCommand and a pinned one.
var cmdIdcard = idcardCommand(time.Now)

const idcardUsage = "idcard read --device PATH [--timeout 5s] [--json] [--decoder PROG [--decoder-arg A]...] [--photo-out FILE]" +
	" | idcard simulate (--card FILE.json | --no-card) [--remove-after N] [--bad-checksum N] [--silent N] [--garbage HEX] [--split N] [--truncate N] [--status HEX]"

// idcardCommand reads a card from a reader, or simulates one on a pty.
// now decides whether a card has expired.
func idcardCommand(now func() time.Time) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) == 0 {
			return errUsage
		}
		switch args[0] {
		case "read":
			return idcardRead(ctx, e, args[1:], now)
		case "simulate":
			return idcardSimulate(ctx, e, args[1:])
		}
		return errUsage
	}
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func idcardRead(ctx context.Context, e *env, args []string, now func() time.Time) error {
	fs := flag.NewFlagSet("idcard read", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	device := fs.String("device", "", "the reader's serial device or pty (/dev/ttyUSB0)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for a card and the reader's answers")
	asJSON := fs.Bool("json", false, "print JSON")
	decoder := fs.String("decoder", "", "WLT photo decoder program (absolute path; run without a shell)")
	var decoderArgs stringList
	fs.Var(&decoderArgs, "decoder-arg", "an argument of the decoder ({in}: WLT file, {out}: image file); repeatable")
	decoderTimeout := fs.Duration("decoder-timeout", 5*time.Second, "time limit of the decoder")
	photoOut := fs.String("photo-out", "", "write the photo here (PNG when decoded, else the WLT bytes)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *device == "" || *timeout <= 0 {
		return errUsage
	}
	card, err := readOneCard(ctx, *device, *timeout)
	if err == nil && *decoder != "" {
		dc := idcard.DecoderConfig{Path: *decoder, Args: decoderArgs, Timeout: *decoderTimeout}
		if derr := dc.DecodePhoto(ctx, card); derr != nil {
			// The card is read; the photo stays WLT. Say so on stderr.
			fmt.Fprintf(e.stderr, "kioskctl idcard: 照片解码失败，仅保留原始照片数据\n  (%v)\n", derr)
		}
	}
	if err == nil && *photoOut != "" {
		err = writePhoto(*photoOut, card)
	}
	if err != nil {
		if *asJSON {
			code := idcard.CodeOf(err)
			if code == "" {
				code = idcard.CodeNoReader
			}
			msg := translation.Error(translation.Chinese, err)
			if jerr := writeJSON(e, map[string]string{"error": code, "message": msg}); jerr != nil {
				return jerr
			}
		}
		return err
	}
	if *asJSON {
		return writeJSON(e, card.JSON(now()))
	}
	j := card.JSON(now())
	fmt.Fprintf(e.stdout, "OK %s %s %s %s 出生 %s 有效期 %s 至 %s", card.ID.Masked(), j.Name, j.Sex, j.Nation, j.Birth, j.ValidFrom, j.ValidTo)
	if j.Expired {
		fmt.Fprint(e.stdout, "（已过期）")
	}
	fmt.Fprintf(e.stdout, " 照片 %s\n", j.Photo)
	return nil
}

func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// readOneCard opens the reader and reads the card on it, waiting up to
// timeout for one to be placed.
func readOneCard(ctx context.Context, device string, timeout time.Duration) (*idcard.Card, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d, err := idcard.OpenDevice(device, idcard.Options{})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var noCard error
	for {
		c, err := d.Read(ctx)
		switch {
		case err == nil:
			return c, nil
		case idcard.CodeOf(err) == idcard.CodeNoCard:
			noCard = err
		case noCard != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)):
			return nil, noCard // the wait for a card ran out mid-command
		default:
			return nil, err
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, noCard
		case <-t.C:
		}
	}
}

func writePhoto(path string, c *idcard.Card) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("photo: %w", err)
	}
	if c.Portrait != nil {
		err = png.Encode(f, c.Portrait)
	} else {
		_, err = f.Write(c.Photo)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("photo %s: %w", path, err)
	}
	return nil
}

func idcardSimulate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("idcard simulate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cardFile := fs.String("card", "", "the card on the simulated reader (JSON)")
	noCard := fs.Bool("no-card", false, "a reader without a card")
	var f idcard.Faults
	fs.IntVar(&f.RemoveAfterReads, "remove-after", 0, "take the card away after N reads")
	fs.IntVar(&f.BadChecksum, "bad-checksum", 0, "corrupt the checksum of the first N answers")
	fs.IntVar(&f.Silent, "silent", 0, "leave the first N commands unanswered")
	fs.IntVar(&f.Split, "split", 0, "send answers in pieces of N bytes")
	fs.IntVar(&f.Truncate, "truncate", 0, "send only the first N bytes of each answer")
	garbage := fs.String("garbage", "", "hex bytes of line noise sent before every answer")
	status := fs.String("status", "", "answer every command with this status byte (hex, e.g. 60)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (*cardFile == "") == !*noCard {
		return errUsage
	}
	var err error
	if f.Garbage, err = hex.DecodeString(*garbage); err != nil {
		return certkiosk.Errorf(certkiosk.EINVALID, "干扰字节格式不对", "--garbage: %v", err)
	}
	if *status != "" {
		v, err := strconv.ParseUint(*status, 16, 8)
		if err != nil {
			return certkiosk.Errorf(certkiosk.EINVALID, "状态码格式不对", "--status: %v", err)
		}
		f.Status = byte(v)
	}
	sim, _ := idcard.NewSimulator(nil)
	if !*noCard {
		sc, err := idcard.LoadSimCard(*cardFile)
		if err != nil {
			return certkiosk.Errorf(certkiosk.EINVALID, "模拟身份证文件无法读取", "%v", err)
		}
		if err := sim.PlaceText(sc.Text()); err != nil {
			return certkiosk.Errorf(certkiosk.EINVALID, "模拟身份证文件内容不对", "%v", err)
		}
	}
	sim.SetFaults(f)
	p, err := sim.ServePTY(ctx)
	if err != nil {
		return certkiosk.Errorf(certkiosk.EUNAVAILABLE, "无法创建模拟阅读器", "%v", err)
	}
	fmt.Fprintln(e.stdout, p.Path)
	select {
	case <-ctx.Done():
	case <-p.Done():
	}
	if err := p.Close(); err != nil {
		return certkiosk.Errorf(certkiosk.EUNAVAILABLE, "模拟阅读器出错", "%v", err)
	}
	return nil
}
