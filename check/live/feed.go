package live

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"certkiosk/camera"
	"certkiosk/check"

	"gocv.io/x/gocv"
)

// Sink shows frames: it hands out a free buffer (nil when none is free
// yet; the producer then allocates one) and takes a filled one. The UI's
// preview is one; so is the retiree's mirror window.
type Sink interface {
	Buffer() *image.RGBA
	Offer(*image.RGBA)
}

// Feed is the kiosk's one capture loop: it pumps frames from a camera
// source into preview until ctx ends and, when checker is not nil, hands
// each frame to the running check first and draws the face guide and box
// on the preview. A lost device is reported through onError (nil when it
// is back; the screen words it), fails the running check, and is reopened
// every retry interval. It returns when ctx ends (nil) or the source
// cannot go on.
//
// mirror, when not nil, gets a copy of every preview frame (the retiree's
// window on a second monitor).
func Feed(ctx context.Context, src camera.Source, preview Sink, checker *Checker, onError func(err error), mirror Sink) error {
	tmp := gocv.NewMat()
	defer tmp.Close()
	for {
		err := camera.Capture(ctx, src, true, func(m gocv.Mat, t time.Duration) {
			var box image.Rectangle
			var good, active bool
			if checker != nil {
				box, good, active = checker.Frame(m, t)
			}
			buf, err := camera.ToRGBA(m, &tmp, preview.Buffer())
			if err != nil {
				return
			}
			if active {
				check.DrawGuide(buf, box, good)
			}
			if mirror != nil {
				dst := mirror.Buffer()
				if dst == nil || dst.Rect != buf.Rect {
					dst = image.NewRGBA(buf.Rect)
				}
				copy(dst.Pix, buf.Pix)
				mirror.Offer(dst)
			}
			preview.Offer(buf)
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		onError(err)
		if checker != nil {
			checker.Fail(err)
		}
		dev, ok := src.(reopener)
		if !ok || !errors.Is(err, camera.ErrDeviceLost) {
			return fmt.Errorf("capture from %s: %w", src.Info().Name, err)
		}
		for { // try to get the device back
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(reopenEvery):
			}
			if dev.Reopen() == nil {
				onError(nil)
				break
			}
		}
	}
}

// reopener is a source that can come back after ErrDeviceLost (a webcam).
type reopener interface{ Reopen() error }

// reopenEvery is how often a lost camera is tried again.
var reopenEvery = 2 * time.Second
