package assets

import (
	"bytes"
	"testing"

	"golang.org/x/image/font/sfnt"
)

// The receipt font unpacks to a TrueType-outline font (go-pdf/fpdf embeds
// no CFF) with the same characters as the screen's.
func TestReceiptFontIsTrueTypeWithTheScreensCharacters(t *testing.T) {
	ttf, err := ReceiptFont()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(ttf, []byte{0, 1, 0, 0}) {
		t.Fatalf("receipt font starts % x, want TrueType's 00 01 00 00", ttf[:4])
	}
	receipt, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	screen, err := sfnt.Parse(FontRegular)
	if err != nil {
		t.Fatal(err)
	}
	if receipt.NumGlyphs() != screen.NumGlyphs() {
		t.Errorf("receipt font has %d glyphs, the screen's %d", receipt.NumGlyphs(), screen.NumGlyphs())
	}
	var buf sfnt.Buffer
	for _, r := range "养老金领取资格认证通过0123456789ABXYZ：（）￥" {
		if gi, err := receipt.GlyphIndex(&buf, r); err != nil || gi == 0 {
			t.Errorf("receipt font: no glyph for %q (%v)", r, err)
		}
	}
}

// What a print pays to unpack the font:
// go test -run '^$' -bench ReceiptFont ./assets
func BenchmarkReceiptFont(b *testing.B) {
	for b.Loop() {
		if _, err := ReceiptFont(); err != nil {
			b.Fatal(err)
		}
	}
}
