package face

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"gocv.io/x/gocv"
)

// BestFrame keeps the best-scoring frame of a session (see
// liveness.BestScore) and hands it over as JPEG bytes in memory; it never
// writes to disk. Close releases the kept copy.
type BestFrame struct {
	mat   gocv.Mat
	score float64
	index int
}

// NewBestFrame returns an empty keeper.
func NewBestFrame() *BestFrame { return &BestFrame{mat: gocv.NewMat(), index: -1} }

// Offer keeps a copy of frame if score beats the best so far.
func (b *BestFrame) Offer(frame gocv.Mat, index int, score float64) {
	if score <= 0 || score <= b.score {
		return
	}
	frame.CopyTo(&b.mat)
	b.score, b.index = score, index
}

// Index is the kept frame's index, -1 when none.
func (b *BestFrame) Index() int { return b.index }

// JPEG encodes the kept frame; nil when no frame qualified.
//
// Go's encoder does it, not OpenCV's: Debian's imgcodecs links GDAL, and
// its first cv::imencode registers every GDAL driver, which kept 10 MB of
// the kiosk resident for good from the first check on (issue 26; measured
// with python3-opencv, VmRSS before and after one imencode). The frame is
// converted once to RGBA, which the encoder reads on its fast path.
func (b *BestFrame) JPEG(quality int) ([]byte, error) {
	if b.index < 0 {
		return nil, nil
	}
	if b.mat.Type() != gocv.MatTypeCV8UC3 {
		return nil, fmt.Errorf("encode best frame: want a BGR frame, have Mat type %v", b.mat.Type())
	}
	rgba := gocv.NewMat()
	defer rgba.Close()
	gocv.CvtColor(b.mat, &rgba, gocv.ColorBGRToRGBA)
	px, err := rgba.DataPtrUint8()
	if err != nil {
		return nil, fmt.Errorf("encode best frame: %w", err)
	}
	img := &image.RGBA{Pix: px, Stride: 4 * rgba.Cols(), Rect: image.Rect(0, 0, rgba.Cols(), rgba.Rows())}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode best frame: %w", err)
	}
	return buf.Bytes(), nil
}

// Close releases the kept frame.
func (b *BestFrame) Close() error { return b.mat.Close() }
