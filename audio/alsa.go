//go:build cgo && linux

package audio

/*
#cgo pkg-config: alsa
#include <alsa/asoundlib.h>
#include <stdlib.h>

static int kiosk_open(snd_pcm_t **h, const char *dev) {
	// Non-blocking: a stalled source (a suspended sound server) must never
	// hold a reader that is being stopped; kiosk_read waits with a timeout.
	int err = snd_pcm_open(h, dev, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	if (err < 0) return err;
	// 16 kHz mono S16, ALSA's plug layer resamples; 100 ms of buffer.
	err = snd_pcm_set_params(*h, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, 16000, 1, 100000);
	if (err < 0) { snd_pcm_close(*h); *h = NULL; }
	return err;
}

static long kiosk_read(snd_pcm_t *h, short *buf, long frames, long *delay) {
	*delay = 0;
	int w = snd_pcm_wait(h, 100); // ms; 0: nothing yet, the caller checks whether to go on
	if (w == 0) return 0;
	snd_pcm_sframes_t n = w < 0 ? w : snd_pcm_readi(h, buf, frames);
	if (n == -EAGAIN) return 0;
	if (n == -EPIPE || n == -ESTRPIPE || n == -EINTR) {
		int err = snd_pcm_recover(h, (int)n, 1);
		if (err < 0) return err;
		n = 0;
	}
	snd_pcm_sframes_t d = 0;
	if (n >= 0 && snd_pcm_delay(h, &d) < 0) d = 0;
	*delay = d;
	return n;
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// ALSA is a capture device. It is not safe for concurrent use: one
// goroutine reads, and closes it after its last Read.
type ALSA struct {
	h   *C.snd_pcm_t
	dev string
}

// OpenALSA opens an ALSA capture device ("default" is the system's
// default input) at 16 kHz mono. A machine with no sound card gives
// ErrNoMicrophone.
func OpenALSA(device string) (*ALSA, error) {
	cdev := C.CString(device)
	defer C.free(unsafe.Pointer(cdev))
	var h *C.snd_pcm_t
	if rc := C.kiosk_open(&h, cdev); rc < 0 {
		return nil, fmt.Errorf("%w: ALSA %q: %s", ErrNoMicrophone, device, C.GoString(C.snd_strerror(rc)))
	}
	return &ALSA{h: h, dev: device}, nil
}

// Open opens the default input.
func Open() (Source, error) { return OpenALSA("default") }

// Read implements Source: it waits at most 100 ms for samples and returns
// up to len(buf) of them (0 when none came: a stalled source never holds
// the reader). The first sample's time is now less what was read and
// what still waits in ALSA's buffer.
func (a *ALSA) Read(buf []int16) (int, time.Time, error) {
	if len(buf) == 0 {
		return 0, time.Now(), nil
	}
	var delay C.long
	n := C.kiosk_read(a.h, (*C.short)(unsafe.Pointer(&buf[0])), C.long(len(buf)), &delay)
	now := time.Now()
	if n < 0 {
		return 0, now, fmt.Errorf("audio: ALSA %q read: %s", a.dev, C.GoString(C.snd_strerror(C.int(n))))
	}
	at := now.Add(-time.Duration(int64(n)+int64(delay)) * time.Second / SampleRate)
	return int(n), at, nil
}

// Close implements Source.
func (a *ALSA) Close() error {
	if a.h == nil {
		return nil
	}
	rc := C.snd_pcm_close(a.h)
	a.h = nil
	if rc < 0 {
		return fmt.Errorf("audio: ALSA %q close: %s", a.dev, C.GoString(C.snd_strerror(rc)))
	}
	return nil
}
