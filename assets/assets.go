// Package assets holds the files certkiosk ships inside its binaries: the
// Chinese font subset (SIL OFL, see fonts/OFL.txt), the UI translations and,
// later, voice prompts. It is plain Go with no Fyne import, so kioskctl can
// use the font for printed receipts too.
package assets

import (
	"bytes"
	"compress/gzip"
	"embed"
	_ "embed" // for the font variables
	"encoding/binary"
	"fmt"
	"image"
	"io"
)

// FontRegular and FontBold are Noto Sans CJK SC cut down to GB 2312 + ASCII
// by scripts/font-subset.sh.
var (
	//go:embed fonts/NotoSansSC-Regular.subset.otf
	FontRegular []byte
	//go:embed fonts/NotoSansSC-Bold.subset.otf
	FontBold []byte
	//go:embed fonts/OFL.txt
	FontLicence []byte
)

// Translations holds one JSON file per language under "translation",
// named for fyne's lang.AddTranslationsFS (zh_Hans.json, en.json).
//
//go:embed translation/*.json
var Translations embed.FS

// TranslationDir is the folder inside Translations.
const TranslationDir = "translation"

// Portrait is the public-domain portrait the demo clip and the liveness test
// clips are rendered from (see demo/README.md).
//
//go:embed demo/astronaut.png
var Portrait []byte

// PortraitFace is where OpenCV's Haar frontal-face cascade finds the face
// in Portrait (measured once; clips are framed around it).
var PortraitFace = image.Rect(177, 66, 272, 161)

// Voices holds the spoken prompts (voice/<key>.wav, 16-bit mono PCM) and
// their list, voice/prompts.txt; scripts/voices.sh renders them with
// espeak-ng's Mandarin voice.
//
//go:embed voice/*.wav voice/prompts.txt
var Voices embed.FS

// fontReceiptGz is FontRegular with TrueType outlines, gzipped.
//
//go:embed fonts/NotoSansSC-Regular.subset.ttf.gz
var fontReceiptGz []byte

// ReceiptFont returns FontRegular with TrueType outlines, for receipt PDFs
// (go-pdf/fpdf embeds no CFF). It is kept compressed and unpacked for each
// print: the pages of the binary a kiosk has read stay resident all day,
// and a print reads its whole font: the compressed one stays as 1.7 MB
// where the 2.6 MB font would stay as 2.6 MB (issue 26). Unpacking takes
// 30 ms (BenchmarkReceiptFont); the copy is garbage once the PDF is made.
func ReceiptFont() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(fontReceiptGz))
	if err != nil {
		return nil, fmt.Errorf("receipt font: %w", err)
	}
	// gzip's trailer gives the size, so the font is read into one buffer
	// (io.ReadAll would allocate 2.5 times as much on the way).
	n := binary.LittleEndian.Uint32(fontReceiptGz[len(fontReceiptGz)-4:])
	b := make([]byte, n)
	if _, err := io.ReadFull(zr, b); err != nil {
		return nil, fmt.Errorf("receipt font: %w", err)
	}
	if _, err := zr.Read(make([]byte, 1)); err != io.EOF {
		return nil, fmt.Errorf("receipt font: longer than its gzip trailer says")
	}
	return b, nil
}
