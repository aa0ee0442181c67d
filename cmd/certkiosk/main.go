// Command certkiosk is the counter kiosk for the annual pension entitlement
// certification (养老金领取资格认证). main only wires: app.go builds the
// kiosk from the command line; the screens live in ui, the check in
// check, the data in store, the wire in sync.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/internal/memtune"
)

func main() {
	var c config
	flag.StringVar(&c.DataDir, "data", certkiosk.DefaultDataDir(), "data directory (database, demo clip)")
	flag.BoolVar(&c.Demo, "demo", false, "demo mode: demo roster and staff, and the demo clip when no webcam is found")
	flag.IntVar(&c.Camera, "camera", 0, "webcam index (/dev/videoN); -1 for none")
	flag.StringVar(&c.Video, "video", "", "play this video file instead of a webcam (demo mode only)")
	flag.StringVar(&c.Lang, "lang", "zh", "interface language: zh or en")
	flag.BoolVar(&c.Customer, "customer", false, "open the retiree-facing window for a second monitor (full-screen)")
	flag.StringVar(&c.Screen, "screen", "", "open this screen after signing in as --staff (screenshots)")
	flag.StringVar(&c.Staff, "staff", "", "sign in as this staff ID with the PIN from stdin (screenshots)")
	flag.StringVar(&c.CardReader, "card-reader", "", "identity-card reader's serial device, e.g. /dev/ttyUSB0 (demo mode simulates one)")
	flag.StringVar(&c.CardDecoder, "card-decoder", "", "the reader vendor's WLT photo decoder: an absolute path, run as PROGRAM IN OUT")
	version := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *version {
		fmt.Println("certkiosk", certkiosk.Version)
		return
	}
	flag.Visit(func(f *flag.Flag) {
		c.DataGiven = c.DataGiven || f.Name == "data"
		c.CameraGiven = c.CameraGiven || f.Name == "camera"
	})
	if err := memtune.Tune(); err != nil {
		fmt.Fprintln(os.Stderr, "certkiosk:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := newFyneApp()
	if err == nil {
		err = runKiosk(ctx, a, c)
	}
	if code := exitStatus(ctx, err, os.Stderr); code != 0 {
		os.Exit(code)
	}
}

// exitStatus says how the kiosk ended, on w, and gives its exit status. A
// kiosk told to stop (SIGTERM, Ctrl-C) while it was still starting has
// stopped, not failed: whatever it was doing is refused whole or done at
// the next start (the demo seed, store TestDemoSeedStoppedAnywhere…).
func exitStatus(ctx context.Context, err error, w io.Writer) int {
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(w, "certkiosk: 启动时收到停止信号，已停止 — told to stop while starting:", err)
		return 0
	default:
		fmt.Fprintln(w, "certkiosk:", translation.Error(translation.Chinese, err), "—", err)
		return 1
	}
}
