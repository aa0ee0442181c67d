package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"certkiosk"
	"certkiosk/liveness/face"
	"certkiosk/liveness/fixture"
)

// cmdValidate renders live and attack clips from the real faces Debian
// ships (issue 9) and prints BPCER/APCER per condition; with --real DIR it
// judges real footage instead (issue 22, see validateReal).
func cmdValidate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	set := fs.String("set", "all", "faces: dev, holdout or all")
	codec := fs.String("codec", "h264", "clip codec: h264 (as webcams deliver) or mjpg")
	jobs := fs.Int("jobs", 2, "clips judged at once")
	kinds := fs.String("kinds", "", "comma-separated kinds (blink,talk,photo,photo-talk,eyes-shut); empty for all")
	only := fs.String("face", "", "only faces whose name contains this")
	dir := fs.String("faces", fixture.DlibFacesDir, "folder of dlib's example faces")
	verbose := fs.Bool("v", false, "print every case")
	reference := fs.Bool("reference", false, "judge with the plain reference of issue 9 (blink clips only)")
	real := fs.String("real", "", "judge the real footage in this folder (clips + truth.json, speech/ + its truth.json) instead")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *jobs < 1 || (*codec != "h264" && *codec != "mjpg") {
		return errUsage
	}
	if *real != "" {
		return validateReal(ctx, e, *real, *only)
	}
	faces, err := fixture.DebianFaces(*dir)
	if err != nil {
		return &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Message: "找不到验证用的人脸照片", Detail: "validate", Err: err}
	}
	faces = append([]fixture.Face{fixture.Astronaut()}, faces...)
	var chosen []fixture.Face
	for _, f := range faces {
		if (*set == "all" || f.Set == *set) && strings.Contains(f.Name, *only) {
			chosen = append(chosen, f)
		}
	}
	if len(chosen) == 0 {
		return certkiosk.Errorf(certkiosk.ENOTFOUND, "没有符合条件的人脸", "validate: no face in set %q matching %q", *set, *only)
	}
	var ks []string
	if *kinds != "" {
		ks = strings.Split(*kinds, ",")
	}
	tmp, err := os.MkdirTemp("", "certkiosk-validate-")
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	defer os.RemoveAll(tmp)
	face.SetNumThreads(1)
	v := &fixture.Validator{Dir: tmp}
	if *reference {
		v.Judge = fixture.JudgeReference
	}
	defer v.Close()
	cases := fixture.ValidationCases(chosen, *codec, ks)
	for i := range cases {
		if err := v.Describe(&cases[i]); err != nil {
			return err
		}
	}
	outs := v.RunAll(ctx, cases, *jobs, func(done, total int, o fixture.Outcome) {
		mark := "ok "
		if !o.Correct() {
			mark = "BAD"
		}
		if *verbose || !o.Correct() {
			fmt.Fprintf(e.stderr, "[%d/%d] %s %-40s %s %-14q blinks=%d cycles=%d yaw=%+.0f pitch=%+.0f roll=%+.0f ear=%.2f w=%d %v",
				done, total, mark, o.Case.Name(), o.Verdict, o.Reason, o.Blinks, o.Cycles,
				o.Case.Pose.Yaw, o.Case.Pose.Pitch, o.Case.Pose.Roll, o.Case.OpenEAR, o.Case.Width, o.Case.Conditions)
			if o.Err != nil {
				fmt.Fprintf(e.stderr, " err=%v", o.Err)
			}
			fmt.Fprintln(e.stderr)
		}
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	engine := "certkiosk engine"
	if *reference {
		engine = "plain reference (HOG + 68 points every frame, EAR < 0.7 × median)"
	}
	fmt.Fprintf(e.stdout, "%d faces (%s), %d clips, %s, %s\n\n", len(chosen), *set, len(outs), *codec, engine)
	return fixture.WriteTable(e.stdout, fixture.Table(outs))
}

// validateReal judges real footage (issue 22): each clip in blink mode
// (and a talking clip reading on the lips), printing the truth, the blinks
// found (their most-closed frames) and the verdict, and each speech
// recording's syllables counted against its transcript. It fails when any
// is judged wrong: a blink clip refused, a no-blink clip passed, a blink
// found more than fixture.RealTolerance frames from the truth, or speech
// counted outside max(1, 25 %).
func validateReal(ctx context.Context, e *env, dir, only string) error {
	clips, speech, err := fixture.LoadReal(dir)
	if err != nil {
		return &certkiosk.Error{Code: certkiosk.ENOTFOUND, Message: "找不到真实视频的标注文件", Detail: "validate --real", Err: err}
	}
	face.SetNumThreads(1)
	var outs []fixture.RealOutcome
	var souts []fixture.SpeechOutcome
	wrong := 0
	for _, c := range clips {
		if !strings.Contains(c.File, only) {
			continue
		}
		o := fixture.JudgeReal(ctx, dir, c)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("validate: %w", err)
		}
		outs = append(outs, o)
		if !o.Correct() {
			wrong++
		}
	}
	for _, s := range speech {
		if !strings.Contains(s.File, only) {
			continue
		}
		o := fixture.CountReal(dir, s)
		souts = append(souts, o)
		if !o.Correct() {
			wrong++
		}
	}
	fmt.Fprintf(e.stdout, "real footage in %s: %d clips, %d speech recordings (blinks within ±%d frames of the truth)\n\n",
		dir, len(outs), len(souts), fixture.RealTolerance)
	if err := fixture.WriteReal(e.stdout, outs, souts); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	if wrong > 0 {
		return certkiosk.Errorf(certkiosk.EINVALID, "有真实视频判断错误", "validate --real: %d of %d judged wrong", wrong, len(outs)+len(souts))
	}
	return nil
}
