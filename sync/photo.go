package sync

import (
	"bytes"
	"fmt"
	"image/jpeg"
)

// MaxPhotoSide bounds a reference photo's width and height in pixels. A
// JPEG of a few hundred bytes can declare 65535×65535 pixels, and decoding
// it allocates gigabytes: its dimensions are read from its header
// (DecodeConfig) before it is decoded anywhere.
const MaxPhotoSide = 4096

// CheckPhoto reads a reference photo's header and refuses what is not a
// JPEG or larger than MaxPhotoSide on either side, without decoding it.
func CheckPhoto(b []byte) error {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a JPEG: %v", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxPhotoSide || cfg.Height > MaxPhotoSide {
		return fmt.Errorf("%d×%d pixels, at most %d on a side", cfg.Width, cfg.Height, MaxPhotoSide)
	}
	return nil
}
