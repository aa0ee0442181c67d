package face

import (
	"crypto/sha256"
	"encoding/hex"

	"certkiosk/liveness"

	"gocv.io/x/gocv"
)

// EyeModelDigest is the sha256 of the embedded eye-state model.
func EyeModelDigest() string {
	h := sha256.Sum256(eyeModelONNX)
	return hex.EncodeToString(h[:])
}

// RunEyeState runs only the eye-state cue of p on a grey frame and f's
// landmarks (for its benchmark).
func RunEyeState(p *Pipeline, grey gocv.Mat, f *liveness.Frame, need liveness.EyeNeed) error {
	return p.eyes.run(grey, f, need)
}

// EyeNetPerf is OpenCV's own time of the last forward pass, ms.
func EyeNetPerf() float64 { return eyeNet.net.GetPerfProfile() / gocv.GetTickFrequency() * 1000 }
