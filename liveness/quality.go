package liveness

import "math"

// Issue is a reason a frame is not good enough to judge, with a machine
// code (for logs, JSON and tests) and a short Chinese prompt for the
// retiree.
type Issue struct {
	Code   string
	Prompt string
}

// Quality issues, and the reasons a session fails for them.
var (
	IssueNoFace        = Issue{"no_face", "请正对摄像头"}
	IssueMultipleFaces = Issue{"multiple_faces", "画面中只能有一个人"}
	IssueTooSmall      = Issue{"too_small", "请靠近一点"}
	IssueTooLarge      = Issue{"too_large", "请离远一点"}
	IssueOffCentre     = Issue{"off_centre", "请把脸移到画面中间"}
	IssueTooDark       = Issue{"too_dark", "光线太暗"}
	IssueTooBright     = Issue{"too_bright", "光线太亮"}
	IssueBlurred       = Issue{"blurred", "请保持不动"}
	IssueTurnedAway    = Issue{"turned_away", "请正对屏幕"}
)

// Gates are the limits a frame must meet. Sizes are fractions of the
// frame so they hold at any resolution.
type Gates struct {
	MinFaceWidth  float64 // face width / frame width
	MaxFaceWidth  float64 //
	MaxOffCentre  float64 // face-centre offset / frame size, either axis
	MinBrightness float64 // mean grey of the face, 0–255
	MaxBrightness float64 //
	MinSharpness  float64 // variance of the Laplacian of the face; 0 disables
	MaxYaw        float64 // |Yaw − 0.5|
}

// DefaultGates suit a counter webcam at 640×480 with the retiree about an
// arm's length away (face about 170 px wide).
var DefaultGates = Gates{
	MinFaceWidth:  0.15, // ≈ 96 px at 640: below that the eyes are a few pixels high
	MaxFaceWidth:  0.70,
	MaxOffCentre:  0.30,
	MinBrightness: 40,
	MaxBrightness: 220,
	MinSharpness:  8,
	MaxYaw:        0.17, // nose tip outside the middle third: head turned ≳ 25°
}

// Check returns the first issue of f, most basic first, and ok when f can
// be judged.
func (g Gates) Check(f *Frame) (Issue, bool) {
	if f.Faces == 0 || !f.HasShape {
		// A face too dark (or washed out) for the detector is the likelier
		// story than an empty chair when the whole frame is so.
		switch {
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
	if yaw, ok := f.Yaw(); !ok || math.Abs(yaw-0.5) > g.MaxYaw {
		return IssueTurnedAway, false
	}
	return Issue{}, true
}
