// Package assets holds the files certkiosk ships inside its binaries: the
// Chinese font subset (SIL OFL, see fonts/OFL.txt), the UI translations and,
// later, voice prompts. It is plain Go with no Fyne import, so kioskctl can
// use the font for printed receipts too.
package assets

import (
	"embed"
	_ "embed" // for the font variables
	"image"
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

// FontReceipt is FontRegular with TrueType outlines, for receipt PDFs.
//
//go:embed fonts/NotoSansSC-Regular.subset.ttf
var FontReceipt []byte
