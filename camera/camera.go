// Package camera delivers frames from a webcam (V4L2) or a video file, each
// with a timestamp, into a Mat the caller reuses. It knows nothing of faces
// or of the UI.
package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"time"

	"certkiosk"

	"gocv.io/x/gocv"
)

// ErrDeviceLost reports that a webcam stopped delivering frames (unplugged,
// or taken by another program). Reopen it to try again.
var ErrDeviceLost = &certkiosk.Error{Code: certkiosk.EUNAVAILABLE,
	Msg: certkiosk.Msg{Key: "error.camera.lost"}, Detail: "camera stopped delivering frames"}

// Info describes an open source.
type Info struct {
	Kind   string  // "device" or "file"
	Name   string  // "/dev/video0" or the file path
	Width  int     // frame size actually delivered
	Height int     //
	FPS    float64 // rate reported by the driver or the file
	FourCC string  // pixel format / codec, e.g. MJPG
}

// Source yields frames. Read decodes the next frame into dst (BGR) and
// returns its time since the start of the stream; it returns io.EOF at the
// end of a file and ErrDeviceLost when a device fails.
type Source interface {
	Read(dst *gocv.Mat) (time.Duration, error)
	Info() Info
	Close() error
}

// Device is a V4L2 webcam.
type Device struct {
	index  int
	vc     *gocv.VideoCapture
	info   Info
	start  time.Time
	misses int
}

// lostAfter consecutive failed reads mean the device is gone (a single
// failed read happens on some drivers while the sensor adjusts).
const lostAfter = 15

// OpenDevice opens /dev/video<index>, asking for MJPG 640×480 at 30 fps, and
// reports what the driver really gives in Info.
func OpenDevice(index int) (*Device, error) {
	d := &Device{index: index}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Device) open() error {
	name := fmt.Sprintf("/dev/video%d", d.index)
	if _, err := os.Stat(name); err != nil {
		return &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Msg: certkiosk.Msg{Key: "error.camera.none"},
			Detail: "open camera " + name, Err: err}
	}
	vc, err := gocv.VideoCaptureDeviceWithAPI(d.index, gocv.VideoCaptureV4L2)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Msg: certkiosk.Msg{Key: "error.camera.busy"},
			Detail: "open camera " + name, Err: err}
	}
	vc.Set(gocv.VideoCaptureFOURCC, vc.ToCodec("MJPG"))
	vc.Set(gocv.VideoCaptureFrameWidth, 640)
	vc.Set(gocv.VideoCaptureFrameHeight, 480)
	vc.Set(gocv.VideoCaptureFPS, 30)
	d.vc = vc
	d.info = Info{Kind: "device", Name: name,
		Width:  int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height: int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:    vc.Get(gocv.VideoCaptureFPS),
		FourCC: vc.CodecString()}
	d.start = time.Now()
	d.misses = 0
	return nil
}

// Read grabs the next frame; its time is a monotonic clock since the device
// was opened.
func (d *Device) Read(dst *gocv.Mat) (time.Duration, error) {
	if d.vc == nil {
		return 0, ErrDeviceLost
	}
	for {
		if d.vc.Read(dst) && !dst.Empty() {
			d.misses = 0
			return time.Since(d.start), nil
		}
		d.misses++
		if d.misses >= lostAfter {
			return 0, ErrDeviceLost
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Reopen closes and opens the device again, after ErrDeviceLost.
func (d *Device) Reopen() error {
	d.Close()
	return d.open()
}

// Info describes the device as opened.
func (d *Device) Info() Info { return d.info }

// Close releases the device.
func (d *Device) Close() error {
	if d.vc == nil {
		return nil
	}
	err := d.vc.Close()
	d.vc = nil
	return err
}

// File is a video file read frame by frame, timed by the file's own clock.
type File struct {
	path   string
	vc     *gocv.VideoCapture
	info   Info
	frames int
	loop   bool
	offset time.Duration // added after each loop
	last   time.Duration
}

// OpenFile opens any video OpenCV can read. With loop, the file restarts at
// its end and timestamps keep increasing (the demo clip runs forever).
func OpenFile(path string, loop bool) (*File, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &certkiosk.Error{Code: certkiosk.ENOTFOUND, Msg: certkiosk.Msg{Key: "error.video.missing"},
			Detail: "open video " + path, Err: err}
	}
	vc, err := gocv.VideoCaptureFile(path)
	if err != nil || !vc.IsOpened() {
		if vc != nil {
			vc.Close()
		}
		return nil, &certkiosk.Error{Code: certkiosk.EINVALID, Msg: certkiosk.Msg{Key: "error.video.unreadable"},
			Detail: "open video " + path, Err: err}
	}
	f := &File{path: path, vc: vc, loop: loop}
	f.info = Info{Kind: "file", Name: path,
		Width:  int(vc.Get(gocv.VideoCaptureFrameWidth)),
		Height: int(vc.Get(gocv.VideoCaptureFrameHeight)),
		FPS:    vc.Get(gocv.VideoCaptureFPS),
		FourCC: vc.CodecString()}
	return f, nil
}

// Read decodes the next frame. Its time is the frame index over the file's
// frame rate, which for the constant-rate clips certkiosk renders equals the
// container's timestamps and, unlike CAP_PROP_POS_MSEC, means the same on
// every backend — so a clip always gives the same result.
func (f *File) Read(dst *gocv.Mat) (time.Duration, error) {
	for {
		if f.vc.Read(dst) && !dst.Empty() {
			t := f.offset + f.frameTime(f.frames)
			f.frames++
			f.last = t
			return t, nil
		}
		if !f.loop || f.frames == 0 {
			if f.frames == 0 {
				return 0, &certkiosk.Error{Code: certkiosk.EINVALID, Msg: certkiosk.Msg{Key: "error.video.unreadable"},
					Detail: "video " + f.path + " has no readable frame"}
			}
			return 0, io.EOF
		}
		f.offset = f.last + f.frameTime(1)
		f.frames = 0
		f.vc.Set(gocv.VideoCapturePosFrames, 0)
	}
}

func (f *File) frameTime(i int) time.Duration {
	fps := f.info.FPS
	if fps <= 0 || fps > 240 {
		fps = 30
	}
	return time.Duration(float64(i) / fps * float64(time.Second))
}

// Info describes the file.
func (f *File) Info() Info { return f.info }

// Close releases the file.
func (f *File) Close() error { return f.vc.Close() }

// Capture reads src until ctx ends or the source fails, calling fn with
// each frame; fn must not keep the Mat, which is reused. With pace, frames
// are delivered no faster than their timestamps (a file plays in real time;
// a device paces itself). It returns nil when ctx ends and io.EOF at the
// end of a file that does not loop.
func Capture(ctx context.Context, src Source, pace bool, fn func(m gocv.Mat, t time.Duration)) error {
	m := gocv.NewMat()
	defer m.Close()
	start := time.Now()
	for {
		if ctx.Err() != nil {
			return nil
		}
		t, err := src.Read(&m)
		if err != nil {
			return fmt.Errorf("capture from %s: %w", src.Info().Name, err)
		}
		if pace {
			if wait := t - time.Since(start); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
		}
		fn(m, t)
	}
}

// ToRGBA converts a BGR frame into dst, reusing dst's pixels when the size
// matches (the preview draws 30 frames a second without allocating); tmp is
// a scratch Mat the caller keeps between calls.
func ToRGBA(src gocv.Mat, tmp *gocv.Mat, dst *image.RGBA) (*image.RGBA, error) {
	if src.Empty() {
		return dst, errors.New("convert frame: empty frame")
	}
	gocv.CvtColor(src, tmp, gocv.ColorBGRToRGBA)
	w, h := tmp.Cols(), tmp.Rows()
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	px, err := tmp.DataPtrUint8()
	if err != nil {
		return dst, fmt.Errorf("convert frame: %w", err)
	}
	copy(dst.Pix, px)
	return dst, nil
}
