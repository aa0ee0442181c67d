package liveness

import (
	"image"
	"testing"
)

// Issue 22: a face up to 85 % of the width is judged; "sit back" only
// when a close face's landmarks fail.
func TestCloseFacesAreJudged(t *testing.T) {
	f := synth{n: 1}.frame(0)
	for _, c := range []struct {
		width    int // of 640
		hasShape bool
		want     string // "" ok
	}{
		{544, true, ""},           // 85 %, landmarks found
		{480, true, ""},           // 75 %
		{576, true, "too_large"},  // 90 %
		{448, false, "too_large"}, // 70 %, landmarks failed: too close
		{200, false, "no_face"},   // a small face without landmarks
		{96, true, ""},            // 15 %
		{80, true, "too_small"},   // 12.5 %
	} {
		g := f
		g.Box = image.Rect(320-c.width/2, 240-c.width/2, 320+c.width/2, 240+c.width/2)
		g.HasShape = c.hasShape
		is, ok := DefaultGates.Check(&g)
		if ok != (c.want == "") || (!ok && is.Code != c.want) {
			t.Errorf("face %d px, landmarks %v: %q ok=%v, want %q", c.width, c.hasShape, is.Code, ok, c.want)
		}
	}
}
