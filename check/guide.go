package check

import (
	"image"
	"image/color"
)

// DrawGuide draws the face guide (where to put the face) and the detected
// face box onto a preview frame: green when the frame is good, amber when
// the retiree must move (the words on screen say how; colour is never the
// only signal).
func DrawGuide(img *image.RGBA, box image.Rectangle, good bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	guide := image.Rect(w*3/10, h/8, w*7/10, h*7/8).Add(img.Rect.Min)
	strokeRect(img, guide, color.RGBA{255, 255, 255, 255}, 2)
	if !box.Empty() {
		c := color.RGBA{255, 176, 0, 255}
		if good {
			c = color.RGBA{40, 200, 80, 255}
		}
		strokeRect(img, box, c, 4)
	}
}

func strokeRect(img *image.RGBA, r image.Rectangle, c color.RGBA, width int) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	for k := 0; k < width; k++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, r.Min.Y+k, c)
			img.SetRGBA(x, r.Max.Y-1-k, c)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			img.SetRGBA(r.Min.X+k, y, c)
			img.SetRGBA(r.Max.X-1-k, y, c)
		}
	}
}
