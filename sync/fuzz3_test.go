package sync

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"strings"
	"testing"

	"certkiosk/internal/fuzzseed"
)

// Fuzz targets of the parsers issue 23 added: the signed body digest
// header, and the reference photo header check.

func digestSeeds() [][]any {
	return [][]any{
		{BodyDigest([]byte("{}")), []byte("{}")},
		{strings.ToUpper(BodyDigest(nil)), []byte{}},
		{strings.Repeat("0", 64), []byte("x")},
		{"zz", []byte("x")}, {"", []byte("x")}, {strings.Repeat("a", 65), []byte(nil)},
	}
}

// FuzzContentDigest: a digest header is taken only as 64 lower-case hex
// digits, and a signature over it is the signature over the body exactly
// when it is the body's digest.
func FuzzContentDigest(f *testing.F) {
	for _, s := range digestSeeds() {
		f.Add(s[0].(string), s[1].([]byte))
	}
	f.Fuzz(func(t *testing.T, digest string, body []byte) {
		r, _ := http.NewRequest(http.MethodPost, "http://central"+PathBatches, nil)
		r.Header.Set(HeaderTerminal, "T-0001")
		r.Header.Set(HeaderTimestamp, "1764234000")
		r.Header.Set(HeaderNonce, strings.Repeat("ab", 16))
		r.Header.Set(HeaderSignature, strings.Repeat("A", 86)+"==")
		r.Header.Set(HeaderContentSHA256, digest)
		s, err := ParseSignedHeaders(r)
		if err != nil {
			return
		}
		if digest == "" {
			if s.SetDigest() {
				t.Fatal("no digest header, yet a digest was set")
			}
			return
		}
		if len(s.Digest) != 64 || strings.ToLower(s.Digest) != s.Digest || !s.SetDigest() {
			t.Fatalf("accepted digest %q", s.Digest)
		}
		claimed := s.signing
		s.SetBody(body)
		if bytes.Equal(claimed, s.signing) != (digest == BodyDigest(body)) {
			t.Fatalf("digest %q and body %q: the signing strings disagree", digest, body)
		}
	})
}

func photoSeeds() [][]any {
	var b bytes.Buffer
	jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	small := b.Bytes()
	big := append([]byte(nil), small...)
	if i := bytes.Index(big, []byte{0xFF, 0xC0}); i >= 0 {
		big[i+5], big[i+6], big[i+7], big[i+8] = 0x75, 0x30, 0x75, 0x30 // 30000×30000
	}
	return [][]any{{small}, {big}, {[]byte{0xFF, 0xD8, 0xFF}}, {[]byte("not a jpeg")}}
}

// FuzzCheckPhoto: whatever the bytes, the header check never accepts a
// photo larger than MaxPhotoSide, and never allocates for the pixels.
func FuzzCheckPhoto(f *testing.F) {
	for _, s := range photoSeeds() {
		f.Add(s[0].([]byte))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckPhoto(b) != nil {
			return
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width > MaxPhotoSide || cfg.Height > MaxPhotoSide {
			t.Fatalf("accepted %dx%d %v", cfg.Width, cfg.Height, err)
		}
	})
}

func TestFuzz3SeedsCheckedIn(t *testing.T) {
	fuzzseed.Write(t, "FuzzContentDigest", digestSeeds()...)
	fuzzseed.Write(t, "FuzzCheckPhoto", photoSeeds()...)
}
