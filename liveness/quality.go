package liveness

import "math"

// Issue is a reason a frame is not good enough to judge: a machine code
// (for logs, JSON and tests). What the retiree is told is in the
// translations, prompt.<code> (assets/translation), and nowhere here.
type Issue struct {
	Code string
}

// Quality issues, and the reasons a session fails for them.
var (
	IssueNoFace        = Issue{"no_face"}
	IssueMultipleFaces = Issue{"multiple_faces"}
	IssueTooSmall      = Issue{"too_small"}
	IssueTooLarge      = Issue{"too_large"}
	IssueOffCentre     = Issue{"off_centre"}
	IssueTooDark       = Issue{"too_dark"}
	IssueTooBright     = Issue{"too_bright"}
	IssueBlurred       = Issue{"blurred"}
	IssueTurnedAway    = Issue{"turned_away"}
	// The head is turned or raised so far that an eye or the mouth is
	// hidden: the prompt says which way to move, in the person's own
	// left and right (turn_left: the person turns to their left).
	IssueTurnRight = Issue{"turn_right"}
	IssueTurnLeft  = Issue{"turn_left"}
	IssueLookUp    = Issue{"look_up"}
	IssueLookDown  = Issue{"look_down"}
)

// Gates are the limits a frame must meet. Sizes are fractions of the
// frame so they hold at any resolution.
type Gates struct {
	MinFaceWidth float64 // face width / frame width
	MaxFaceWidth float64 //
	// CloseFaceWidth: a face found this wide or wider whose landmarks
	// failed (it runs off the frame) is too close; with landmarks, faces
	// up to MaxFaceWidth are judged.
	CloseFaceWidth float64
	MaxOffCentre   float64 // face-centre offset / frame size, either axis
	MinBrightness  float64 // mean grey of the face, 0–255
	MaxBrightness  float64 //
	MinSharpness   float64 // variance of the Laplacian of the face; 0 disables
	MaxYaw         float64 // |head yaw|, degrees (HeadPose)
	MaxPitch       float64 // |head pitch|, degrees
}

// DefaultGates suit a counter webcam at 640×480 with the retiree about an
// arm's length away (face about 170 px wide).
var DefaultGates = Gates{
	MinFaceWidth: 0.15, // ≈ 96 px at 640: below that the eyes are a few pixels high
	// Issue 22: a retiree leaning toward a laptop camera fills 60–85 %
	// of the width, and the landmarks and the eye-state model read such
	// a face well; "sit back" is asked only when the landmarks fail.
	MaxFaceWidth:   0.85,
	CloseFaceWidth: 0.60,
	MaxOffCentre:   0.30,
	MinBrightness:  30,
	MaxBrightness:  220,
	MinSharpness:   8,
	// Head pose limits, in the pose estimate's degrees (see README: on
	// the validation faces the far eye's landmarks fail beyond these).
	// Roll is no reason to refuse: eye and mouth ratios do not change
	// with it.
	MaxYaw:   40,
	MaxPitch: 35,
}

// Check returns the first issue of f, most basic first, and ok when f can
// be judged.
func (g Gates) Check(f *Frame) (Issue, bool) {
	if f.Faces == 0 || !f.HasShape {
		// A face too dark (or washed out) for the detector is the likelier
		// story than an empty chair when the whole frame is so.
		switch {
		case f.Faces > 0 && g.CloseFaceWidth > 0 && f.Size.X > 0 &&
			float64(f.Box.Dx())/float64(f.Size.X) >= g.CloseFaceWidth:
			return IssueTooLarge, false
		case f.Brightness < g.MinBrightness:
			return IssueTooDark, false
		case f.Brightness > g.MaxBrightness:
			return IssueTooBright, false
		}
		return IssueNoFace, false
	}
	if f.Faces > 1 {
		return IssueMultipleFaces, false
	}
	if f.Size.X > 0 && f.Size.Y > 0 {
		w := float64(f.Box.Dx()) / float64(f.Size.X)
		if w < g.MinFaceWidth {
			return IssueTooSmall, false
		}
		if w > g.MaxFaceWidth {
			return IssueTooLarge, false
		}
		c := f.Box.Min.Add(f.Box.Max).Div(2)
		ox := math.Abs(float64(c.X)/float64(f.Size.X) - 0.5)
		oy := math.Abs(float64(c.Y)/float64(f.Size.Y) - 0.5)
		if ox > g.MaxOffCentre || oy > g.MaxOffCentre {
			return IssueOffCentre, false
		}
	}
	if f.Brightness < g.MinBrightness {
		return IssueTooDark, false
	}
	if f.Brightness > g.MaxBrightness {
		return IssueTooBright, false
	}
	if g.MinSharpness > 0 && f.Sharpness < g.MinSharpness {
		return IssueBlurred, false
	}
	if is, ok := g.checkPose(f); !ok {
		return is, false
	}
	return Issue{}, true
}

// checkPose refuses a head turned or raised beyond the limits, saying
// which way to move.
func (g Gates) checkPose(f *Frame) (Issue, bool) {
	p, ok := f.HeadPose()
	if !ok {
		return IssueTurnedAway, false
	}
	// The larger excess over its limit names the move.
	ey, ep := math.Abs(p.Yaw)-g.MaxYaw, math.Abs(p.Pitch)-g.MaxPitch
	switch {
	case ey <= 0 && ep <= 0:
		return Issue{}, true
	case ey >= ep && p.Yaw > 0:
		// Turned to the person's own left (the image's right).
		return IssueTurnRight, false
	case ey >= ep:
		return IssueTurnLeft, false
	case p.Pitch > 0:
		return IssueLookUp, false
	default:
		return IssueLookDown, false
	}
}
