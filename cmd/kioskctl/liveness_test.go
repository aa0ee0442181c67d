package main

import (
	"encoding/json"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// renderFixtures renders the named standard clips with `kioskctl fixture`.
func renderFixtures(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		code, out, errOut := kioskctl(t, "fixture", "--out", dir, "--only", n)
		if code != 0 || !strings.Contains(out, n+".avi") {
			t.Fatalf("fixture %s: code %d, out %q, err %q", n, code, out, errOut)
		}
	}
	return dir
}

func judgeJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := kioskctl(t, append([]string{"liveness", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("liveness %v: code %d, err %q", args, code, errOut)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("want one JSON line, got %q", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	for _, k := range []string{"mode", "verdict", "reason", "blinks", "mouth_cycles", "frames", "face_frames",
		"decided_at_frame", "ms_per_frame_p50", "ms_per_frame_p95"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, out)
		}
	}
	return m
}

func TestLivenessCommand(t *testing.T) {
	dir := renderFixtures(t, "blink2", "talk4", "photo")
	best := filepath.Join(t.TempDir(), "best.jpg")

	m := judgeJSON(t, "--mode", "blink", "--video", filepath.Join(dir, "blink2.avi"), "--save-best", best)
	if m["verdict"] != "pass" || m["reason"] != "" || m["blinks"] != 2.0 || m["frames"] != 108.0 || m["face_frames"] != 108.0 {
		t.Errorf("blink2: %v", m)
	}
	if d := m["decided_at_frame"].(float64); d < 84 || d > 90 {
		t.Errorf("blink2 decided at %v, want within 6 frames of the second blink's end (84)", d)
	}
	if p50, p95 := m["ms_per_frame_p50"].(float64), m["ms_per_frame_p95"].(float64); p50 <= 0 || p95 < p50 {
		t.Errorf("timings p50 %v p95 %v", p50, p95)
	}
	f, err := os.Open(best)
	if err != nil {
		t.Fatalf("--save-best wrote nothing: %v", err)
	}
	img, err := jpeg.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 640 {
		t.Fatalf("best frame: %v", err)
	}

	m = judgeJSON(t, "--mode", "blink", "--video", filepath.Join(dir, "photo.avi"))
	if m["verdict"] != "fail" || m["reason"] != "no_blink" || m["blinks"] != 0.0 {
		t.Errorf("photo: %v", m)
	}

	m = judgeJSON(t, "--mode", "digits", "--digits", "4821", "--video", filepath.Join(dir, "talk4.avi"))
	if m["verdict"] != "pass" || m["digits"] != "4821" || m["mouth_cycles"].(float64) < 3 {
		t.Errorf("talk4: %v", m)
	}
	// The same talking clip in blink mode is no blink.
	m = judgeJSON(t, "--mode", "blink", "--video", filepath.Join(dir, "talk4.avi"))
	if m["verdict"] != "fail" || m["reason"] != "no_blink" {
		t.Errorf("talk4 as blink: %v", m)
	}
}

// Issue 15: digits mode hears the video's own sound track, or a WAV
// given with --audio, and reports what it heard.
func TestLivenessCommandHearsTheDigits(t *testing.T) {
	dir := renderFixtures(t, "av-talk4", "av-silent-video")
	talk := filepath.Join(dir, "av-talk4.avi")
	m := judgeJSON(t, "--mode", "digits", "--digits", "4821", "--video", talk)
	if m["verdict"] != "pass" || m["speech_check"] != "lips_voice" || m["voiced_syllables"] != 4.0 {
		t.Errorf("av-talk4: %v", m)
	}
	if lag, ok := m["av_sync_lag_ms"].(float64); !ok || lag < -40 || lag > 40 {
		t.Errorf("av-talk4 lag %v", m["av_sync_lag_ms"])
	}
	if r, ok := m["av_correlation"].(float64); !ok || r < 0.5 {
		t.Errorf("av-talk4 correlation %v", m["av_correlation"])
	}
	m = judgeJSON(t, "--mode", "digits", "--digits", "4821", "--video", filepath.Join(dir, "av-silent-video.avi"))
	if m["verdict"] != "fail" || m["reason"] != "no_voice" || m["voiced_syllables"] != 0.0 {
		t.Errorf("av-silent-video: %v", m)
	}
	// The silent video's frames with the talking clip's sound as a WAV.
	wav := filepath.Join(t.TempDir(), "talk.wav")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-i", talk, "-vn", "-ac", "1", "-ar", "16000", wav).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	m = judgeJSON(t, "--mode", "digits", "--digits", "4821", "--video", filepath.Join(dir, "av-silent-video.avi"), "--audio", wav)
	if m["speech_check"] != "lips_voice" || m["voiced_syllables"].(float64) < 3 {
		t.Errorf("silent video with the WAV: %v", m)
	}
	// --lips-only ignores the sound and says so.
	m = judgeJSON(t, "--mode", "digits", "--digits", "4821", "--video", filepath.Join(dir, "av-silent-video.avi"), "--lips-only")
	if m["verdict"] != "pass" || m["speech_check"] != "lips" || m["voiced_syllables"] != nil {
		t.Errorf("lips only: %v", m)
	}
}

func TestLivenessCommandErrors(t *testing.T) {
	code, out, errOut := kioskctl(t, "liveness", "--mode", "blink", "--video", filepath.Join(t.TempDir(), "missing.avi"), "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, "找不到视频文件") {
		t.Errorf("missing file: code %d, out %q, err %q", code, out, errOut)
	}
	junk := filepath.Join(t.TempDir(), "junk.avi")
	if err := os.WriteFile(junk, []byte("not a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := kioskctl(t, "liveness", "--video", junk, "--json"); code != 1 || out != "" || errOut == "" {
		t.Errorf("junk file: code %d, out %q, err %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"liveness", "--json"},
		{"liveness", "--mode", "wink", "--video", junk},
		{"fixture"},
	} {
		if code, _, _ := kioskctl(t, args...); code != 2 {
			t.Errorf("%v: code %d, want 2", args, code)
		}
	}
	if code, _, _ := kioskctl(t, "fixture", "--out", t.TempDir(), "--only", "nonesuch"); code != 1 {
		t.Errorf("unknown fixture: code %d, want 1", code)
	}
}
