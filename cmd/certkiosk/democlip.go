package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"certkiosk"
	"certkiosk/camera"
	"certkiosk/check"
	"certkiosk/check/live"
	"certkiosk/liveness/fixture"
	"certkiosk/ui"
)

// errClipPending tells newApp that the demo clip is not rendered yet:
// rendering takes seconds on a first start, so it runs in the background
// while the sign-in window opens (issue 16).
var errClipPending = errors.New("demo clip not rendered yet")

// demoClipNow returns the demo clip in dir when it is already rendered,
// else errClipPending.
func demoClipNow(dir string) (string, error) {
	path := filepath.Join(dir, fixture.DemoClipName)
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	return "", errClipPending
}

// clipRender is the demo clip being rendered in the background. The
// render is bounded (a few seconds) and writes to a temporary name first
// (fixture.EnsureDemoClip), so a kiosk closed meanwhile leaves no half clip.
type clipRender struct {
	done chan struct{} // closed when path and err are set
	path string
	err  error
}

func renderDemoClip(dir string) *clipRender {
	r := &clipRender{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.path, r.err = fixture.EnsureDemoClip(dir)
	}()
	return r
}

// failed is the render's error once it has ended, nil before or on success.
func (r *clipRender) failed() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// open waits for the clip, showing on the device screen that it is being
// prepared, and opens it as the camera. It returns nil, nil when ctx ends
// first.
func (r *clipRender) open(ctx context.Context, shell interface {
	SetCameraPreparing()
	SetCameraError(string)
}) (camera.Source, error) {
	shell.SetCameraPreparing()
	select {
	case <-ctx.Done():
		return nil, nil
	case <-r.done:
	}
	err := r.err
	var f *camera.File
	if err == nil {
		f, err = camera.OpenFile(r.path, true)
	}
	if err != nil {
		shell.SetCameraError(ui.ErrorText(err))
		return nil, err
	}
	shell.SetCameraError("") // the normal camera line again
	return f, nil
}

// clipStation refuses a check when the demo clip could not be made (a
// check started while it is still rendering waits for its frames).
type clipStation struct {
	*live.Checker
	clip *clipRender
}

func (s clipStation) Start(m certkiosk.Method) (string, <-chan check.Update, func(), error) {
	if err := s.clip.failed(); err != nil {
		return "", nil, nil, err
	}
	return s.Checker.Start(m)
}
