package ui

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"runtime"
	"testing"

	"certkiosk/store"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
)

// pictures are the images on the screen on display that are larger than
// an icon and hold pixels of their own: face photos and the QR code.
func pictures(k *Kiosk) []*canvas.Image {
	var out []*canvas.Image
	for _, o := range test.LaidOutObjects(k.Window.Content()) {
		if c, ok := o.(*canvas.Image); ok && c.Image != nil && c.MinSize().Width >= 100 {
			out = append(out, c)
		}
	}
	return out
}

// officePhoto is a reference photo as an office sends it, larger than the
// kiosk ever shows one.
func officePhoto(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 960, 1200))
	for i := range img.Pix {
		img.Pix[i] = uint8(i / 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A screen that is left lets go of its photos and QR code (Fyne keeps the
// screen itself a while longer); the visit keeps its reference photo, no
// larger than it is shown, for its next attempt.
func TestLeftScreensLetGoOfTheirPhotos(t *testing.T) {
	k, db := newTestKiosk(t)
	ui := serialise(k)
	r := suspendedRetiree(t, db)
	if err := db.PutReferencePhoto(context.Background(), "central", r.ID, store.RefCentral, officePhoto(t)); err != nil {
		t.Fatal(err)
	}
	k.Login(store.DemoStaffID, store.DemoStaffPIN)
	k.Find(string(r.ID))
	passWith(t, k)
	ui.mu.Lock()
	defer ui.mu.Unlock()
	if k.Screen() != "reference-ask" {
		t.Fatalf("a pass with a reference photo went to %s", k.Screen())
	}
	ask := pictures(k)
	if len(ask) != 2 {
		t.Fatalf("the ask screen shows %d pictures, want the reference and the live face", len(ask))
	}
	if b := k.visit.ref.img.Bounds(); b.Dx() > int(comparePhotoSize.Width) || b.Dy() > int(comparePhotoSize.Height) {
		t.Errorf("reference photo kept at %v, larger than it is ever shown (%v)", b.Size(), comparePhotoSize)
	}
	tap(t, k, "一致")
	if k.Screen() != "pass" {
		t.Fatalf("after 一致: %s", k.Screen())
	}
	for i, c := range ask {
		if c.Image != nil {
			t.Errorf("ask screen's picture %d still holds its pixels on the pass screen", i)
		}
	}
	// The reference photo beside the live face in every attempt is the
	// visit's to keep until it ends.
	if k.visit.ref.photo.Image == nil || k.visit.ref.img == nil {
		t.Error("leaving the ask screen dropped the visit's reference photo")
	}
	pass := pictures(k)
	if len(pass) != 2 {
		t.Fatalf("the pass screen shows %d pictures, want the QR code and the face", len(pass))
	}
	if !k.Press("result.home") || k.Screen() != "home" {
		t.Fatalf("「完成，返回首页」 led to %s", k.Screen())
	}
	for i, c := range pass {
		if c.Image != nil {
			t.Errorf("pass screen's picture %d still holds its pixels at home", i)
		}
	}
}

// A photo is scaled down for the screen with every pixel counted: a
// pattern finer than the result averages to grey (a sampling scaler shows
// it black, white or striped), the edges too, and the work needs little
// more memory than the result.
func TestFitImageAveragesAndStaysSmall(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 641, 481)) // odd: a column and a row left over
	for y := 0; y < 481; y++ {
		for x := 0; x < 641; x++ {
			v := uint8(0)
			if (x+y)%2 == 0 {
				v = 255
			}
			i := src.PixOffset(x, y)
			src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = v, v, v, 255
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := fitImage(src, image.Pt(240, 300)).(*image.RGBA)
	runtime.ReadMemStats(&after)
	if got.Rect.Dx() != 240 || got.Rect.Dy() != 180 {
		t.Fatalf("641×481 fitted into 240×300 is %v, want 240×180", got.Rect.Size())
	}
	for y := 0; y < got.Rect.Dy(); y++ {
		for x := 0; x < got.Rect.Dx(); x++ {
			if c := got.RGBAAt(x, y); c.R < 96 || c.R > 160 || c.A != 255 {
				t.Fatalf("pixel (%d,%d) = %v, want about grey 128", x, y, c)
			}
		}
	}
	// The result is 169 kB and the halved copy 302 kB; x/image/draw's
	// bilinear filter alone took 3.7 MB.
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("fitting a 641×481 photo allocated %d kB, want under 1 MB", n>>10)
	}
}
