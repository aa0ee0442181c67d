package face

import (
	"fmt"

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
func (b *BestFrame) JPEG(quality int) ([]byte, error) {
	if b.index < 0 {
		return nil, nil
	}
	buf, err := gocv.IMEncodeWithParams(gocv.JPEGFileExt, b.mat, []int{gocv.IMWriteJpegQuality, quality})
	if err != nil {
		return nil, fmt.Errorf("encode best frame: %w", err)
	}
	defer buf.Close()
	return append([]byte(nil), buf.GetBytes()...), nil
}

// Close releases the kept frame.
func (b *BestFrame) Close() error { return b.mat.Close() }
