package ui

import (
	"image"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// Preview shows live video. A capture goroutine fills a spare buffer and
// offers it; the newest frame wins and older undrawn frames are dropped, so
// a slow screen never builds a queue (fyne.Do's queue is unbounded). Three
// buffers circulate — shown, ready, free — so nothing is allocated per
// frame and the UI goroutine never copies pixels. Every buffer the
// producer no longer needs goes back: a frame dropped while an older one
// was drawn used to overwrite the single spare slot, and the kiosk made a
// new 1.2 MB buffer about five times a check (issue 26).
type Preview struct {
	Image *canvas.Image

	mu        sync.Mutex
	ready     *image.RGBA   // newest complete frame, not yet shown
	free      []*image.RGBA // for the producer; at most two (see Buffer)
	scheduled bool          // a draw is queued with fyne.Do
	do        func(func())  // fyne.Do; tests queue draws by hand

	drawn, dropped atomic.Int64
}

// NewPreview makes an empty preview of at least minSize.
func NewPreview(minSize fyne.Size) *Preview {
	img := canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 4, 3)))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleFastest
	img.SetMinSize(minSize)
	return &Preview{Image: img, do: fyne.Do}
}

// Buffer hands the producer a free buffer to fill (nil when none is free
// yet: the producer allocates, and the buffer joins the circulation).
// Call it from the producer goroutine only. The producer asks only with
// none in hand, so when none is free the others are shown and ready: no
// more than three ever circulate.
func (p *Preview) Buffer() *image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	return b
}

// Offer publishes a filled buffer as the newest frame. The producer must
// not touch it afterwards. Safe from any goroutine but the UI's own.
func (p *Preview) Offer(frame *image.RGBA) {
	p.mu.Lock()
	if p.ready != nil {
		p.dropped.Add(1)
		p.free = append(p.free, p.ready) // recycle the frame that was never shown
	}
	p.ready = frame
	schedule := !p.scheduled
	p.scheduled = true
	p.mu.Unlock()
	if schedule {
		p.do(p.draw)
	}
}

// draw runs on the UI goroutine: show the newest frame and recycle the one
// it replaces.
func (p *Preview) draw() {
	p.mu.Lock()
	f := p.ready
	p.ready = nil
	p.scheduled = false
	p.mu.Unlock()
	if f == nil {
		return
	}
	old, _ := p.Image.Image.(*image.RGBA)
	p.Image.Image = f
	p.Image.Refresh()
	p.drawn.Add(1)
	if old != nil && old.Rect == f.Rect { // one of an old size is let go
		p.mu.Lock()
		p.free = append(p.free, old)
		p.mu.Unlock()
	}
}

// Stats reports frames drawn and frames dropped because a newer one came
// before the screen was ready.
func (p *Preview) Stats() (drawn, dropped int64) { return p.drawn.Load(), p.dropped.Load() }
