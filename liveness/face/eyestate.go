package face

import (
	_ "embed"
	"fmt"
	"image"
	"math"
	"sync"

	"certkiosk"
	"certkiosk/liveness"

	"gocv.io/x/gocv"
)

// The learned eye-state cue (issue 22). fr_eye.onnx is a small CNN from the
// MIT-licensed npm package faceplugin-face-recognition-js 0.0.1 (see
// models/README.md): one grey 24×24 eye crop, pixels / 255, NCHW, in; two
// logits out, softmax index 0 = closed. On real footage it gives
// p(closed) ≥ 0.96 on blink frames and ≈ 0 on open eyes, where the 68
// landmarks often hardly follow the lid. It runs through OpenCV's own DNN
// module, which gocv already links.

//go:embed models/fr_eye.onnx
var eyeModelONNX []byte

// EyeModelSHA256 is the digest of the vendored model (checked by a test).
const EyeModelSHA256 = "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de"

// eyeNet is the model, parsed once per process and shared: a Net is not
// safe for concurrent use, so Forward runs under the lock (a forward pass
// takes ≈ 0.3 ms, and a kiosk runs one check at a time; the validation
// runs two).
var eyeNet struct {
	once sync.Once
	mu   sync.Mutex
	net  gocv.Net
	err  error
}

func loadEyeNet() error {
	eyeNet.once.Do(func() {
		net, err := gocv.ReadNetFromONNXBytes(eyeModelONNX)
		if err == nil && net.Empty() {
			err = fmt.Errorf("empty network")
		}
		if err != nil {
			eyeNet.err = &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Msg: certkiosk.Msg{Key: "error.model.eyes_unreadable"},
				Detail: "load eye-state model fr_eye.onnx", Err: err}
			return
		}
		eyeNet.net = net
	})
	return eyeNet.err
}

// eyeSide is the model's input side in pixels.
const eyeSide = 24

// eyeState holds one pipeline's buffers for the eye-state model.
type eyeState struct {
	crop gocv.Mat // a 24×24 grey crop
	// blob is the model's input for one eye (N = 1, NCHW float32,
	// pixels / 255). Two eyes in one pass of N = 2 cost as much as two
	// passes (OpenCV 4.6, one thread: 0.55 against 0.28 ms), and one
	// pass at a time lets the second eye be skipped (liveness.EyeNeed).
	blob   gocv.Mat
	passes int // forward passes run (for figures)
}

func newEyeState() (*eyeState, error) {
	if err := loadEyeNet(); err != nil {
		return nil, err
	}
	return &eyeState{crop: gocv.NewMat(),
		blob: gocv.NewMatWithSizes([]int{1, 1, eyeSide, eyeSide}, gocv.MatTypeCV32F)}, nil
}

func (e *eyeState) Close() {
	e.crop.Close()
	e.blob.Close()
}

// minEyeCrop is the smallest crop judged, in frame pixels: below it the
// eye is a few pixels wide and the 24×24 input is all interpolation.
const minEyeCrop = 8

// farEyeRatio: when one eye's corner-to-corner width is under this
// fraction of the other's, the head is turned so far that the narrow eye
// is the far one, foreshortened and partly hidden by the nose; only the
// near eye is judged.
const farEyeRatio = 0.6

// eyeCrop is the model's square crop of one eye, as its own JavaScript
// makes it (lib/fr_eye.js): centred on the mean of the four lid points,
// side 1.6 × the horizontal distance between the corners, integer
// truncation as there, clipped to the frame.
func eyeCrop(pts *[68]liveness.Point, k int, bounds image.Rectangle) (image.Rectangle, bool) {
	o := 36 + 6*k
	cx := int((pts[o+1].X + pts[o+2].X + pts[o+4].X + pts[o+5].X) / 4)
	cy := int((pts[o+1].Y + pts[o+2].Y + pts[o+4].Y + pts[o+5].Y) / 4)
	side := int((pts[o+3].X - pts[o].X) * 1.6)
	if side < minEyeCrop {
		return image.Rectangle{}, false
	}
	r := image.Rect(cx-side/2, cy-side/2, cx-side/2+side, cy-side/2+side).Intersect(bounds)
	if r.Dx() < side*3/4 || r.Dy() < side*3/4 {
		return image.Rectangle{}, false // mostly outside the frame
	}
	return r, true
}

// run fills f.EyeClosed and f.EyeSeen from the grey frame and f's
// landmarks, reading the eyes need asks for.
func (e *eyeState) run(grey gocv.Mat, f *liveness.Frame, need liveness.EyeNeed) error {
	if !need.Any {
		return nil
	}
	bounds := image.Rect(0, 0, grey.Cols(), grey.Rows())
	var rect [2]image.Rectangle
	var ok [2]bool
	w := [2]float64{}
	for k := range 2 {
		rect[k], ok[k] = eyeCrop(&f.Landmarks, k, bounds)
		w[k] = f.Landmarks[39+6*k].X - f.Landmarks[36+6*k].X
	}
	if w[0] < farEyeRatio*w[1] {
		ok[0] = false
	} else if w[1] < farEyeRatio*w[0] {
		ok[1] = false
	}
	// The nearer (wider) eye first: with a turned head it is the one
	// the model reads best.
	order := [2]int{0, 1}
	if w[1] > w[0] {
		order = [2]int{1, 0}
	}
	for i, k := range order {
		if !ok[k] {
			continue
		}
		if i == 1 && !need.Both && f.EyeSeen[order[0]] && f.EyeClosed[order[0]] < need.Above {
			break // the frame's score is under the low mark already
		}
		p, err := e.read(grey.Region(rect[k]))
		if err != nil {
			return err
		}
		f.EyeClosed[k], f.EyeSeen[k] = p, true
	}
	return nil
}

// read is the model's probability that the eye in roi is closed; it
// closes roi.
func (e *eyeState) read(roi gocv.Mat) (float64, error) {
	gocv.Resize(roi, &e.crop, image.Pt(eyeSide, eyeSide), 0, 0, gocv.InterpolationLinear)
	roi.Close()
	in, err := e.blob.DataPtrFloat32()
	if err != nil || len(in) != eyeSide*eyeSide {
		return 0, fmt.Errorf("eye-state model: input blob: %v", err)
	}
	px, err := e.crop.DataPtrUint8()
	if err != nil || len(px) != eyeSide*eyeSide {
		return 0, fmt.Errorf("eye-state model: crop: %v", err)
	}
	for i, v := range px {
		in[i] = float32(v) / 255
	}
	// The output shares the network's buffer: read it before another
	// pipeline's pass can overwrite it.
	eyeNet.mu.Lock()
	eyeNet.net.SetInput(e.blob, "input")
	out := eyeNet.net.Forward("output")
	v, err := out.DataPtrFloat32()
	var l0, l1 float32
	n := len(v)
	if err == nil && n == 2 {
		l0, l1 = v[0], v[1]
	}
	eyeNet.mu.Unlock()
	out.Close()
	e.passes++
	if err != nil || n != 2 {
		return 0, fmt.Errorf("eye-state model: output of %d values, want 2: %v", n, err)
	}
	// Softmax of two logits: p0 = 1 / (1 + e^(l1 − l0)).
	return 1 / (1 + math.Exp(float64(l1-l0))), nil
}
