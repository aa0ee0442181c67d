package ui

import (
	"image"
	"log"
	"math"

	"certkiosk"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/draw"
)

// reference is the photo shown beside the live face during a visit, and
// staff's answer to 「本人与照片一致」.
type reference struct {
	img    image.Image
	photo  *canvas.Image
	source string
	tick   *widget.Check
}

// loadReference decrypts the retiree's reference photo (in memory only;
// the opening is audited) for this visit. nil when there is none.
func (k *Kiosk) loadReference(id certkiosk.ResidentID) *reference {
	p, ok, err := k.DB.ReferencePhoto(k.ctx(), k.actor(), id)
	if err != nil {
		// The check goes on without a photo; the error names the
		// retiree masked.
		log.Printf("reference photo: %v", err)
	}
	if err != nil || !ok {
		return nil
	}
	img := decodeJPEG(p.JPEG)
	if img == nil {
		return nil
	}
	// Kept no larger than the ask screen shows it (comparePhotoSize, where
	// it is drawn as it is): an office photo may be several megapixels, a
	// past pass's frame is 640×480, and the visit keeps it to the end.
	img = fitImage(img, image.Pt(int(comparePhotoSize.Width), int(comparePhotoSize.Height)))
	ref := &reference{img: img, photo: photoImage(img, checkPhotoSize), source: p.Source}
	ref.tick = widget.NewCheck(lang.L("reference.match"), nil)
	return ref
}

// panel is the reference photo and its source, for the column beside the
// live preview (nothing when there is no photo).
func (r *reference) panel() fyne.CanvasObject {
	if r == nil {
		return nil
	}
	return container.NewCenter(labelled(lang.L("reference.title."+r.source), r.photo))
}

// tickBox is the 「本人与照片一致」 tick for the bar under the check,
// cleared for every attempt (an empty box when there is no photo).
func (r *reference) tickBox() fyne.CanvasObject {
	if r == nil {
		return container.NewHBox()
	}
	r.tick.SetChecked(false)
	return r.tick
}

// answer is what staff said by ticking 「本人与照片一致」: true when
// ticked, nil when there was no photo or they have not ticked it (an
// unticked box is no answer; check.Save decides what a pass needs).
func (r *reference) answer() *bool {
	if r == nil || !r.tick.Checked {
		return nil
	}
	v := true
	return &v
}

// askReference is shown when a check passes with a reference photo that
// staff have not ticked: the pass is final only with an answer. 「一致」
// saves the pass; 「不一致」 sends the retiree to manual review instead.
//
// The reference photo and the face the check saw stand side by side at
// the same size, large enough to compare (comparePhotoSize).
func (k *Kiosk) askReference(v *visit, best []byte, save func(match bool)) {
	title := NewText(lang.L("reference.ask.title"), theme.SizeNameSubHeadingText, true)
	ask := NewParagraph(lang.L("reference.ask"), SizeNameRetireeText, false)
	yes := NewBigButton(lang.L("reference.yes"), theme.ConfirmIcon(), func() { save(true) })
	yes.Importance = widget.HighImportance
	no := NewBigButton(lang.L("reference.no"), theme.CancelIcon(), func() { save(false) })
	pair := container.NewHBox(layout.NewSpacer(), labelled(lang.L("reference.title."+v.ref.source),
		k.screenPhoto(v.ref.img, comparePhotoSize)))
	if live := decodeJPEG(best); live != nil {
		pair.Add(labelled(lang.L("reference.live"), k.screenPhoto(faceCrop(live), comparePhotoSize)))
	}
	pair.Add(layout.NewSpacer())
	k.frame("reference-ask", container.NewBorder(container.NewVBox(title, ask), container.NewHBox(yes, no), nil, nil,
		container.NewCenter(pair)), yes)
	k.refAsk = [2]*BigButton{yes, no}
}

// comparePhotoSize is the size at which staff compare the reference photo
// with the live face: the proportions of an ID photo, 300 px tall, the
// same for both.
var comparePhotoSize = fyne.NewSize(240, 300)

// checkPhotoSize is the reference photo's size beside the live picture
// during the check, where the prompt needs the rest of the column.
var checkPhotoSize = fyne.NewSize(192, 240)

// labelled is a photo with its caption above it.
func labelled(caption string, photo fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVBox(NewText(caption, theme.SizeNameText, true), photo)
}

// faceCrop cuts a camera frame to the proportions of an ID photo around
// its centre, where the face guide keeps the face, so the live face and
// the reference photo show a face at about the same scale.
func faceCrop(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	cw := min(w, h*comparePhotoW/comparePhotoH)
	ch := cw * comparePhotoH / comparePhotoW
	if ch > h {
		ch, cw = h, h*comparePhotoW/comparePhotoH
	}
	x0, y0 := b.Min.X+(w-cw)/2, b.Min.Y+(h-ch)/2
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(image.Rect(x0, y0, x0+cw, y0+ch))
	}
	return img
}

const comparePhotoW, comparePhotoH = 4, 5

// photoImage shows a face photo at the fixed size min: scaled once, here,
// to exactly that many pixels, and drawn unscaled. With Fyne's smooth
// scaling the photo would be kept whole and scaled again for every texture
// Fyne makes of it, through a temporary buffer of 32 bytes per pixel
// (several MB for a webcam frame), for as long as Fyne caches the screen.
func photoImage(img image.Image, min fyne.Size) *canvas.Image {
	c := canvas.NewImageFromImage(fitImage(img, image.Pt(int(min.Width), int(min.Height))))
	c.FillMode = canvas.ImageFillContain
	c.ScaleMode = canvas.ImageScaleFastest
	c.SetMinSize(min)
	return c
}

// screenPhoto is photoImage for the screen being built: its pixels are
// let go of when frame replaces that screen. Fyne keeps a screen it no
// longer draws for up to twice FYNE_CACHE (internal/memtune), with every
// image on it, and at a busy counter that is the last few visits' photos
// and QR codes, ~1 MB each (issue 26: the in-check peak).
func (k *Kiosk) screenPhoto(img image.Image, min fyne.Size) *canvas.Image {
	return k.ownPhoto(photoImage(img, min))
}

// ownPhoto marks c as part of the screen being built (screenPhoto).
func (k *Kiosk) ownPhoto(c *canvas.Image) *canvas.Image {
	k.newPhotos = append(k.newPhotos, c)
	return c
}

// dropPhotos, as frame replaces the screen, lets go of the pixels of the
// photos on the screen that goes (it is never drawn again: every screen is
// built anew) and makes those of the screen built the ones on display.
// Refreshing a photo that is off the screen makes Fyne free its texture at
// the next frame (the driver's FreeDirtyTextures), not when the cache
// expires; with a software renderer that texture is process memory too.
func (k *Kiosk) dropPhotos() {
	for _, c := range k.photos {
		c.Image = nil
		k.Window.Canvas().Refresh(c)
	}
	k.photos, k.newPhotos = k.newPhotos, nil
}

// fitImage scales img down, keeping its shape, to fit in max pixels (an
// image that fits already is returned as it is): whole n×n blocks first
// (shrink), then bilinear for what is left, less than a half.
func fitImage(img image.Image, box image.Point) image.Image {
	b := img.Bounds()
	k := math.Min(float64(box.X)/float64(b.Dx()), float64(box.Y)/float64(b.Dy()))
	if k >= 1 || b.Empty() {
		return img
	}
	dst := image.NewRGBA(image.Rect(0, 0, max(1, int(math.Round(float64(b.Dx())*k))), max(1, int(math.Round(float64(b.Dy())*k)))))
	src := img
	if n := int(1 / k); n >= 2 {
		src = shrink(img, n)
	}
	draw.ApproxBiLinear.Scale(dst, dst.Rect, src, src.Bounds(), draw.Src, nil)
	return dst
}

// shrink averages each n×n block of img into one pixel, a row at a time (a
// box filter: every pixel counts, so fine detail does not alias; the last
// rows and columns that make no whole block, fewer than n, are left out).
// x/image/draw's filters would need a buffer of the result's width by the
// source's height at 32 bytes a pixel: 3.7 MB to show a 640×480 frame
// 240 px wide, 31 MB for the largest office photo a terminal takes
// (4096×4096, store.MaxReferencePhotoSide; issue 26).
func shrink(img image.Image, n int) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/n, b.Dy()/n))
	w := dst.Rect.Dx() * n
	row := image.NewRGBA(image.Rect(0, 0, w, 1))
	sum := make([]uint32, 4*dst.Rect.Dx())
	count := uint32(n * n)
	for y := 0; y < dst.Rect.Dy()*n; y++ {
		draw.Draw(row, row.Rect, img, image.Pt(b.Min.X, b.Min.Y+y), draw.Src)
		for x := 0; x < w; x++ {
			s, p := sum[x/n*4:x/n*4+4], row.Pix[4*x:4*x+4]
			s[0], s[1], s[2], s[3] = s[0]+uint32(p[0]), s[1]+uint32(p[1]), s[2]+uint32(p[2]), s[3]+uint32(p[3])
		}
		if (y+1)%n != 0 {
			continue
		}
		out := dst.Pix[y/n*dst.Stride:]
		for i := range sum {
			out[i] = uint8((sum[i] + count/2) / count)
			sum[i] = 0
		}
	}
	return dst
}

// showReviewDone tells staff the attempt went to manual review, and why.
func (k *Kiosk) showReviewDone(why string) {
	if k.opt.Speaker != nil {
		k.opt.Speaker.Say("manual_review")
	}
	done := NewBigButton(lang.L("result.home"), theme.HomeIcon(), func() { k.endVisit(); k.ShowHome() })
	k.frame("review", container.NewBorder(nil, container.NewHBox(done), nil, nil, container.NewVBox(
		NewParagraph(why, SizeNameRetireeText, false),
		NewParagraph(lang.L("result.review.done"), SizeNameRetireeText, true))), done)
}

// ShowLastCertified opens the card of the retiree certified last (a second
// visit, for screenshots of the reference photo); false when none was.
func (k *Kiosk) ShowLastCertified() bool {
	list, err := k.DB.ListCertifications(k.ctx(), certkiosk.CertFilter{Verdict: certkiosk.VerdictPass, Limit: 1})
	if err != nil || len(list) == 0 {
		return false
	}
	r, err := k.DB.FindRetiree(k.ctx(), list[0].RetireeID)
	if err != nil {
		return false
	}
	k.ShowRetiree(r)
	return true
}
