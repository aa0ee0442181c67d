package ui

import (
	"context"
	"errors"
	"time"

	"certkiosk"
	"certkiosk/camera"

	"gocv.io/x/gocv"
)

// Feed pumps frames from a camera source into a Preview in the caller's
// goroutine until ctx ends. A lost device is reported through onError (in
// plain Chinese) and reopened every retry interval; a file that ends is
// reported once. It returns when ctx ends or the source cannot go on.
func Feed(ctx context.Context, src camera.Source, p *Preview, onError func(msg string)) error {
	tmp := gocv.NewMat()
	defer tmp.Close()
	const retry = 2 * time.Second
	for {
		err := camera.Capture(ctx, src, true, func(m gocv.Mat, _ time.Duration) {
			buf, err := camera.ToRGBA(m, &tmp, p.Buffer())
			if err == nil {
				p.Offer(buf)
			}
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		onError(certkiosk.ErrorMessageOf(err))
		dev, ok := src.(*camera.Device)
		if !ok || !errors.Is(err, camera.ErrDeviceLost) {
			return err
		}
		for { // try to get the device back
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retry):
			}
			if dev.Reopen() == nil {
				onError("")
				break
			}
		}
	}
}
