package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"certkiosk"
	"certkiosk/assets/translation"
	"certkiosk/audio"
	"certkiosk/camera"
	"certkiosk/liveness"
	"certkiosk/liveness/face"
	"certkiosk/liveness/fixture"
)

// resultPrompt is what the retiree is told of a result, worded by the
// translations as on the kiosk: a pass thanks them, a failure says what to
// do (prompt.<reason>, a quality issue) or what went wrong (reason.<reason>).
func resultPrompt(v certkiosk.Verdict, reason string) string {
	key := "customer.pass"
	if v != certkiosk.VerdictPass {
		key = "reason.other"
		for _, k := range []string{"prompt." + reason, "reason." + reason} {
			if _, ok := translation.Text(translation.Chinese, k, nil); ok {
				key = k
				break
			}
		}
	}
	s, _ := translation.Text(translation.Chinese, key, nil)
	return s
}

// livenessReport is the JSON `kioskctl liveness --json` prints (issue 3).
type livenessReport struct {
	Mode          string  `json:"mode"`
	Verdict       string  `json:"verdict"`
	Reason        string  `json:"reason"`
	Prompt        string  `json:"prompt"`           // what the retiree is told, in Chinese (resultPrompt)
	Digits        string  `json:"digits,omitempty"` // digits mode: the code judged
	Blinks        int     `json:"blinks"`           // blinks after the prompt, whole clip
	BlinksDecided int     `json:"blinks_at_decision"`
	BlinkFrames   [][]int `json:"blink_frames"` // [first closed, reopened] of each blink counted
	MouthCycles   int     `json:"mouth_cycles"` // open–close cycles after the prompt, whole clip
	// Digits mode (issue 15): which check judged ("lips" without sound,
	// "lips_voice" with it) and, with sound, what it heard.
	SpeechCheck     string   `json:"speech_check,omitempty"`
	VoicedSyllables *int     `json:"voiced_syllables,omitempty"`
	AVSyncLagMs     *float64 `json:"av_sync_lag_ms,omitempty"`
	AVCorrelation   *float64 `json:"av_correlation,omitempty"`
	NoiseDBFS       *float64 `json:"noise_dbfs,omitempty"`
	Frames          int      `json:"frames"`
	FaceFrames      int      `json:"face_frames"`
	DecidedAtFrame  int      `json:"decided_at_frame"`
	DecidedAtMs     float64  `json:"decided_at_ms"`
	PromptAtMs      float64  `json:"prompt_at_ms"`
	BaselineEAR     float64  `json:"baseline_ear"`
	BaselineMAR     float64  `json:"baseline_mar"`
	MsP50           float64  `json:"ms_per_frame_p50"`
	MsP95           float64  `json:"ms_per_frame_p95"`
	OpenCVThreads   int      `json:"opencv_threads"`
	BestFrame       int      `json:"best_frame"` // -1 when no frame qualified
	SavedBest       string   `json:"saved_best,omitempty"`
}

func cmdLiveness(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("liveness", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	mode := fs.String("mode", "blink", "challenge: blink or digits")
	video := fs.String("video", "", "video file to judge")
	audioFile := fs.String("audio", "", "digits mode: WAV file of the sound, its clock the video's (default: the video's own sound track)")
	lipsOnly := fs.Bool("lips-only", false, "digits mode: judge the lips only, ignore any sound")
	digits := fs.String("digits", "", "digits mode: the 4–6 digit code shown (random when empty)")
	saveBest := fs.String("save-best", "", "write the best frame as JPEG to this file")
	asJSON := fs.Bool("json", false, "print one JSON object")
	blinks := fs.Int("blinks", 2, "blinks required")
	threads := fs.Int("threads", 1, "OpenCV threads (the speed bar is for one)")
	model := fs.String("model", face.DefaultModel, "dlib 68-point landmark model")
	naive := fs.Bool("naive", false, "use the naive pipeline (full-frame Haar every frame), for comparison")
	if err := fs.Parse(args); err != nil || *video == "" || fs.NArg() > 0 || *threads < 1 {
		return errUsage
	}
	m, err := certkiosk.ParseMethod(*mode)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	code := ""
	if m == certkiosk.MethodDigits {
		if code = *digits; code == "" {
			if code, err = liveness.NewCode(4); err != nil {
				return err
			}
		}
	}
	src, err := camera.OpenFile(*video, false)
	if err != nil {
		return err
	}
	defer src.Close()
	var speech liveness.SpeechCheck
	if m == certkiosk.MethodDigits && !*lipsOnly {
		if speech, err = fileSound(ctx, *video, *audioFile); err != nil {
			return err
		}
	} else if *audioFile != "" {
		return fmt.Errorf("%w: --audio is for --mode digits without --lips-only", errUsage)
	}
	face.SetNumThreads(*threads)
	rep, err := face.Run(ctx, src, face.RunOptions{
		Pipeline: face.Options{Model: *model, Naive: *naive},
		// A file is judged whole: no time limits, the prompt right after
		// the baseline (live use randomises it).
		Session: liveness.Config{Mode: m, Code: code, Blinks: *blinks, Speech: speech},
		Best:    *saveBest != "",
		Whole:   true,
	})
	if err != nil {
		return err
	}
	r := rep.Result
	out := livenessReport{
		Mode: string(m), Verdict: string(r.Verdict), Reason: r.Reason, Prompt: resultPrompt(r.Verdict, r.Reason), Digits: code,
		Blinks: len(rep.Blinks), BlinksDecided: len(r.Blinks), BlinkFrames: [][]int{}, MouthCycles: rep.Cycles,
		Frames: rep.Frames, FaceFrames: rep.FaceFrames, DecidedAtFrame: r.DecidedAtFrame,
		DecidedAtMs: ms(r.DecidedAt.Seconds()), PromptAtMs: ms(r.PromptAt.Seconds()),
		BaselineEAR: round3(r.Baseline.EAR), BaselineMAR: round3(r.Baseline.MAR),
		MsP50: ms(rep.P50.Seconds()), MsP95: ms(rep.P95.Seconds()),
		OpenCVThreads: face.NumThreads(), BestFrame: rep.BestFrame,
	}
	if m == certkiosk.MethodDigits {
		out.Blinks, out.BlinksDecided = 0, 0
		out.SpeechCheck = r.SpeechCheck
		if r.AV != nil {
			n, lag, corr, noise := r.AV.VoicedSyllables, ms(r.AV.SyncLag.Seconds()), round3(r.AV.SyncCorr), round3(r.AV.NoiseDBFS)
			out.VoicedSyllables, out.AVSyncLagMs, out.AVCorrelation, out.NoiseDBFS = &n, &lag, &corr, &noise
		}
	} else {
		out.MouthCycles = 0
		for _, b := range rep.Blinks {
			out.BlinkFrames = append(out.BlinkFrames, []int{b.StartFrame, b.EndFrame})
		}
	}
	if *saveBest != "" && rep.Best != nil {
		if err := os.WriteFile(*saveBest, rep.Best, 0o600); err != nil {
			return &certkiosk.Error{Code: certkiosk.EINTERNAL, Message: "无法保存照片", Detail: "save best frame", Err: err}
		}
		out.SavedBest = *saveBest
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		return enc.Encode(out)
	}
	fmt.Fprintf(e.stdout, "%s %s %s blinks=%d mouth_cycles=%d frames=%d decided_at_frame=%d p50=%.2fms p95=%.2fms",
		out.Mode, out.Verdict, out.Reason, out.Blinks, out.MouthCycles, out.Frames, out.DecidedAtFrame, out.MsP50, out.MsP95)
	if out.VoicedSyllables != nil {
		fmt.Fprintf(e.stdout, " voiced_syllables=%d av_sync_lag_ms=%.0f av_correlation=%.3f", *out.VoicedSyllables, *out.AVSyncLagMs, *out.AVCorrelation)
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// fileSound is the speech check for a file in digits mode: lips and voice
// when there is sound (--audio, else the video's own track; both start
// with the video's first frame), the lips alone when the video has none.
func fileSound(ctx context.Context, video, wav string) (liveness.SpeechCheck, error) {
	var pcm []int16
	var err error
	if wav != "" {
		pcm, err = audio.ReadWAVFile(wav)
	} else {
		pcm, err = audio.DecodeFile(ctx, video)
		if errors.Is(err, audio.ErrNoSoundTrack) {
			return nil, nil // no sound: the lips alone, and the JSON says so
		}
	}
	if err != nil {
		return nil, &certkiosk.Error{Code: certkiosk.EINVALID, Message: "无法读取声音", Detail: "liveness sound", Err: err}
	}
	av := liveness.NewAVCheck(liveness.DefaultVoice, liveness.DefaultLips)
	av.Audio(0, pcm)
	return av, nil
}

func ms(s float64) float64 { return float64(int64(s*1e6+0.5)) / 1e3 }

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func cmdFixture(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("fixture", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("out", "", "folder to write the clips to")
	only := fs.String("only", "", "render only this clip")
	model := fs.String("model", face.DefaultModel, "dlib 68-point landmark model")
	faceName := fs.String("face", "", "render from this face of Debian's example photos (kioskctl validate -v names them) instead of the portrait")
	if err := fs.Parse(args); err != nil || *out == "" || fs.NArg() > 0 {
		return errUsage
	}
	var specs []fixture.Spec
	for _, s := range fixture.Standard() {
		if *only == "" || s.Name == *only {
			specs = append(specs, s)
		}
	}
	var avSpecs []fixture.AVSpec // clips with sound (issue 15)
	for _, s := range fixture.StandardAV() {
		if *only == "" || s.Name == *only {
			avSpecs = append(avSpecs, s)
		}
	}
	if len(specs)+len(avSpecs) == 0 {
		return certkiosk.Errorf(certkiosk.ENOTFOUND, "没有这个测试视频", "no fixture named %q", *only)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return fmt.Errorf("fixture: %w", err)
	}
	r, err := openFixtureFace(*faceName, *model)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, s := range specs {
		path := filepath.Join(*out, s.Name+".avi")
		tr, err := r.Render(s, path)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s mode=%s want=%s", path, s.Mode, s.Want.Verdict)
		if s.Want.Reason != "" {
			line += " reason=" + s.Want.Reason
		}
		if s.Code != "" {
			line += " digits=" + s.Code
		}
		fmt.Fprintf(e.stdout, "%s blinks=%d syllables=%d frames=%d\n", line, len(tr.BlinkStarts), tr.Syllables, tr.Frames)
	}
	for _, s := range avSpecs {
		path, tr, err := r.RenderAV(ctx, s, *out)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s mode=digits want=%s", path, s.Want.Verdict)
		if s.Want.Reason != "" {
			line += " reason=" + s.Want.Reason
		}
		said := s.Said
		if said == "" {
			said = s.Code
		}
		fmt.Fprintf(e.stdout, "%s digits=%s said=%s voice=%q syllables=%d frames=%d\n", line, s.Code, said, s.Voice.Name, tr.Syllables, tr.Frames)
	}
	return nil
}

// openFixtureFace is the portrait's renderer, or one for a named face of
// Debian's example photos.
func openFixtureFace(name, model string) (*fixture.Renderer, error) {
	if name == "" {
		return fixture.NewRenderer(model)
	}
	faces, err := fixture.DebianFaces(fixture.DlibFacesDir)
	if err != nil {
		return nil, &certkiosk.Error{Code: certkiosk.EUNAVAILABLE, Message: "找不到人脸照片", Detail: "fixture", Err: err}
	}
	for _, f := range faces {
		if f.Name == name {
			return fixture.OpenFace(f, 170, model)
		}
	}
	return nil, certkiosk.Errorf(certkiosk.ENOTFOUND, "没有这张人脸", "fixture: no face named %q", name)
}
