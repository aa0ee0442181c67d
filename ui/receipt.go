package ui

import (
	"fmt"
	"image"

	"github.com/skip2/go-qrcode"
)

// ReceiptQR renders a receipt token as a QR code image of size×size
// pixels, medium error correction (a crumpled receipt still scans).
func ReceiptQR(token string, size int) (image.Image, error) {
	q, err := qrcode.New(token, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("receipt QR: %w", err)
	}
	q.DisableBorder = false
	return q.Image(size), nil
}
